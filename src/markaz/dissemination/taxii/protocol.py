"""TAXII 2.1 protocol pieces every handler shares: the request, media types, authentication, errors."""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from markaz.centre import Centre
from markaz.domain.enums import MemberStatus
from markaz.errors import Forbidden, MarkazError, Unauthenticated, UnsupportedMediaType
from markaz.storage.principals import Principal, authenticate_token

TAXII_MEDIA = "application/taxii+json;version=2.1"
STIX_MEDIA = "application/stix+json;version=2.1"
API_ROOT = "markaz"

Response = tuple[dict[str, str], int, bytes]
log = logging.getLogger("markaz.taxii")


class NotAcceptable(MarkazError):
    status = 406
    code = "not_acceptable"


@dataclass
class TaxiiRequest:
    """What the handlers need of an HTTP request; the web adapter fills it in."""

    method: str
    headers: Mapping[str, str]  # lower-case names
    query: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    principal: Principal | None = field(default=None)

    def param(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None


def _media_ok(value: str, *, allow_any: bool) -> bool:
    parts = [p.strip().lower() for p in value.split(";")]
    media, params = parts[0], [p.replace(" ", "") for p in parts[1:] if not p.startswith("q=")]
    if allow_any and media in ("*/*", "application/*"):
        return True
    if media != "application/taxii+json":
        return False
    versions = [p.split("=", 1)[1] for p in params if p.startswith("version=")]
    return not versions or versions == ["2.1"]


def check_accept(headers: Mapping[str, str]) -> None:
    accept = headers.get("accept")
    if not accept:
        return
    if not any(_media_ok(item, allow_any=True) for item in accept.split(",")):
        raise NotAcceptable(f"this server answers only {TAXII_MEDIA}; the Accept header asked for {accept!r}")


def check_content_type(headers: Mapping[str, str]) -> None:
    value = headers.get("content-type", "")
    if not _media_ok(value, allow_any=False):
        raise UnsupportedMediaType(f"send the envelope as {TAXII_MEDIA} (got {value or 'no Content-Type'})")


class Limiter(Protocol):
    def check(self, key: str) -> None: ...


def authenticate(centre: Centre, headers: Mapping[str, str], limiter: Limiter | None = None) -> Principal:
    """HTTP Basic (user name and API token as the password) or a Bearer token.

    The same per-token rate limit as the REST API applies (`limiter`, 429 with Retry-After)."""
    header = headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    scheme = scheme.lower()
    user: str | None = None
    if scheme == "basic":
        try:
            user, sep, token = base64.b64decode(credentials.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("the Basic credentials are not base64 of 'user:token'") from None
        if not sep:
            raise Unauthenticated("the Basic credentials are not base64 of 'user:token'")
    elif scheme == "bearer":
        token = credentials.strip()
    else:
        raise Unauthenticated(
            "send HTTP Basic credentials (user name and API token) or 'Authorization: Bearer <token>'"
        )
    with centre.db.read() as conn:
        principal = authenticate_token(conn, token)
    if principal is None or (user is not None and principal.username != user):
        raise Unauthenticated("the user name or API token is unknown, expired or revoked")
    if limiter is not None:
        limiter.check(f"token:{principal.token_id}")
    if principal.member_status != MemberStatus.ACTIVE:
        raise Forbidden(
            f"member {principal.member} is {principal.member_status.value}; its access is stopped"
        )
    return principal


_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    406: "Not acceptable",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    500: "Internal error",
}


def error_response(
    status: int, message: str, code: str | None = None, extra: Mapping[str, str] | None = None
) -> Response:
    """The TAXII 2.1 error message (section 3.6.1)."""
    body: dict[str, Any] = {
        "title": _TITLES.get(status, "Error"),
        "description": message,
        "http_status": str(status),
    }
    if code:
        body["error_code"] = code
    headers = {"Content-Type": TAXII_MEDIA, **(extra or {})}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="markaz TAXII", Bearer realm="markaz TAXII"'
    return headers, status, orjson.dumps(body)


def ok(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return {"Content-Type": TAXII_MEDIA, **(headers or {})}, status, orjson.dumps(content)


def handle(
    centre: Centre,
    request: TaxiiRequest,
    handler: Callable[..., Response],
    *args: str,
    limiter: Limiter | None = None,
) -> Response:
    """Run one handler: Accept first, then authentication, then the handler; errors as TAXII bodies."""
    try:
        check_accept(request.headers)
        request.principal = authenticate(centre, request.headers, limiter)
        return handler(centre, request, *args)
    except MarkazError as exc:
        return error_response(exc.status, exc.message, exc.code, getattr(exc, "headers", None))
    except Exception:  # the last line of defence: a TAXII error body, never a traceback
        log.exception("unexpected error in a TAXII request")
        return error_response(500, "the centre could not complete this request; it was logged")
