"""ASGI middleware that refuses request bodies over the limit before they are read whole."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from markaz.api.responses import error_response


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    await error_response(400, "malformed", "Content-Length is not a number")(
                        scope, receive, send
                    )
                    return
                if declared > self.max_bytes:
                    await self._too_large(scope, receive, send)
                    return
        seen = 0
        limit = self.max_bytes

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = (
            f"the request body is larger than the limit of {self.max_bytes} bytes; "
            "split it into smaller requests"
        )
        if scope.get("path", "").startswith("/taxii2/"):
            # TAXII clients expect the TAXII error message shape.
            from markaz.api.taxii import too_large

            await too_large(message)(scope, receive, send)
            return
        await error_response(413, "too_large", message)(scope, receive, send)


class _BodyTooLarge(Exception):
    pass
