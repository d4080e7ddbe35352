"""Request dependencies: the Centre, the authenticated principal, JSON bodies parsed safely."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from markaz.centre import Centre
from markaz.domain.enums import MemberStatus
from markaz.errors import Forbidden, MalformedBody, Unauthenticated, UnsupportedMediaType
from markaz.security.scopes import Scope
from markaz.storage.principals import Principal, authenticate_token


def get_centre(request: Request) -> Centre:
    centre: Centre = request.app.state.centre
    return centre


CentreDep = Annotated[Centre, Depends(get_centre)]


async def current_principal(request: Request, centre: CentreDep) -> Principal:
    header = request.headers.get("authorization")
    if not header:
        # The browser interface calls the API with its session cookie, and for writes the
        # session's CSRF token in X-CSRF-Token (docs/web.md). A session of a member that is
        # not active is no session, so the status check below is already done.
        from markaz.web.auth import session_principal

        signed_in = await session_principal(request, centre)
        if signed_in is not None:
            return signed_in
        raise Unauthenticated("this endpoint needs an API token: send 'Authorization: Bearer <token>'")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")

    limiter = getattr(request.app.state, "rate_limiter", None)

    def lookup() -> Principal | None:
        with centre.db.read() as conn:
            found = authenticate_token(conn, token.strip())
        if found is not None and limiter is not None:
            limiter.check(f"token:{found.token_id}")  # 429 with Retry-After (docs/security.md)
        return found

    principal = await run_in_threadpool(lookup)
    if principal is None:
        raise Unauthenticated("the API token is unknown, expired or revoked")
    if principal.member_status != MemberStatus.ACTIVE:
        raise Forbidden(
            f"member {principal.member} is {principal.member_status.value}; its access is stopped"
        )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_scope(needed: Scope) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the authenticated principal, if its token's scope allows `needed`.

    The one place token scopes are enforced. A route states what it needs by the alias it
    takes: ReadPrincipal (any valid token), WritePrincipal, AdminPrincipal. The role is
    checked separately, by the layer the route calls; both must allow the action."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if not principal.scope.allows(needed):
            raise Forbidden(
                f"this token has the {principal.scope.value} scope; this action needs a token "
                f"with the {needed.value} scope (markaz token create --scope {needed.value})"
            )
        return principal

    return dependency


ReadPrincipal = CurrentPrincipal
WritePrincipal = Annotated[Principal, Depends(require_scope(Scope.WRITE))]
AdminPrincipal = Annotated[Principal, Depends(require_scope(Scope.ADMIN))]


async def json_body(request: Request) -> Any:
    """The request body as JSON: UTF-8 only, nesting bounded by the parser, clear errors."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise UnsupportedMediaType(f"send the body as application/json (got {media or 'no Content-Type'})")
    raw = await request.body()
    if not raw:
        raise MalformedBody("the request body is empty; send a JSON document")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        reason = str(exc)
        if "utf-8" in reason.lower() or "surrogate" in reason.lower():
            raise MalformedBody("the request body is not valid UTF-8") from None
        if "recursion" in reason.lower() or "depth" in reason.lower():
            raise MalformedBody("the JSON body is nested too deeply") from None
        raise MalformedBody(f"the request body is not valid JSON: {reason}") from None


JsonBody = Annotated[Any, Depends(json_body)]


def body_doc(schema: dict[str, Any] | str, description: str | None = None) -> dict[str, Any]:
    """The OpenAPI request body of a route that reads JsonBody: a JSON schema, or a component's name."""
    if isinstance(schema, str):
        schema = {"$ref": f"#/components/schemas/{schema}"}
    body: dict[str, Any] = {"required": True}
    if description is not None:
        body["description"] = description
    body["content"] = {"application/json": {"schema": schema}}
    return {"requestBody": body}
