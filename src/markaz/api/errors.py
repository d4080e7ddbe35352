"""Map every failure to the one JSON error shape; never a stack trace, never an HTML page."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from markaz.api.responses import error_response
from markaz.errors import MarkazError, Unauthenticated
from markaz.web.i18n import error_language, error_text

log = logging.getLogger("markaz.api")


def _answer(
    request: Request,
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The error in the language the caller asked for (Accept-Language: ar, fa, ru, en).

    Only the sentence is translated; `code` and `field` stay the same in every language, so
    programs keep testing them. Without Accept-Language, or for English, nothing changes.
    """
    language = error_language(request.headers.get("accept-language"))
    if language != "en":
        message = error_text(language, message)
        headers = {**(headers or {}), "Content-Language": language, "Vary": "Accept-Language"}
    return error_response(status, code, message, field, headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(MarkazError)
    async def _markaz_error(request: Request, exc: MarkazError) -> Response:
        headers = {"WWW-Authenticate": 'Bearer realm="markaz"'} if isinstance(exc, Unauthenticated) else None
        headers = getattr(exc, "headers", None) or headers  # e.g. Retry-After on 429
        return _answer(request, exc.status, exc.code, exc.message, exc.field, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0]
        loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "header", "body")]
        field = ".".join(loc) or None
        message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        return _answer(request, 422, "invalid", f"{field}: {message}" if field else message, field)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated", 403: "forbidden"}
        message = {404: "there is nothing at this address", 405: "this method is not allowed here"}.get(
            exc.status_code, str(exc.detail)
        )
        return _answer(
            request,
            exc.status_code,
            codes.get(exc.status_code, "error"),
            message,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError) -> Response:
        # PostgreSQL refuses values its columns cannot hold (an id above 2**31-1, say); that
        # is bad input, found by schemathesis, not a server fault. The transaction rolled back.
        return _answer(
            request,
            422,
            "invalid",
            "a value in the request is outside what the centre stores (e.g. an id too large)",
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error", exc_info=exc)
        return _answer(request, 500, "internal", "the centre could not complete this request; it was logged")
