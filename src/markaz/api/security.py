"""HTTP hardening: security headers on every response, closed CORS, refused compressed bodies."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from markaz.api.responses import error_response
from markaz.settings import Settings

# The API's own documentation page (FastAPI's Swagger UI) loads its script and style from
# this CDN and starts with an inline script; it is the one page with a wider policy.
_DOCS_PATHS = ("/api/docs", "/api/docs/oauth2-redirect")
_DOCS_CDN = "https://cdn.jsdelivr.net"
HSTS = "max-age=31536000; includeSubDomains"


def _origin(url: str) -> str | None:
    """The origin of a tile URL template for the CSP; `{s}.` subdomains become `*.`."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    if parts.scheme not in ("http", "https") or not host:
        return None
    if host.startswith("{s}."):
        host = "*." + host[len("{s}.") :]
    if any(ch in host for ch in "{}'\"; "):
        return None
    return f"{parts.scheme}://{host}"


def content_security_policy(settings: Settings, *, api_docs: bool = False) -> str:
    """The Content-Security-Policy of every markaz page: scripts, styles and fonts from the
    centre itself only, images also as data: URLs and from the configured map tile server,
    no plug-ins, no framing. The web interface and the API share this one function."""
    img = ["'self'", "data:"]
    tile = getattr(settings, "tile_url", "")
    tile_origin = _origin(tile) if tile else None
    if tile_origin:
        img.append(tile_origin)
    script = ["'self'"]
    style = ["'self'"]
    if api_docs:
        script += [_DOCS_CDN, "'unsafe-inline'"]
        style += [_DOCS_CDN]
        img.append("https://fastapi.tiangolo.com")
    directives = [
        "default-src 'self'",
        f"script-src {' '.join(script)}",
        f"style-src {' '.join(style)}",
        f"img-src {' '.join(img)}",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def security_headers(settings: Settings, *, https: bool, api_docs: bool = False) -> list[tuple[str, str]]:
    """The headers every response carries; HSTS only on a request that arrived over TLS."""
    headers = [
        ("content-security-policy", content_security_policy(settings, api_docs=api_docs)),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ]
    if https:
        headers.append(("strict-transport-security", HSTS))
    return headers


class SecurityHeaders:
    """ASGI middleware: adds the security headers and refuses compressed request bodies.

    TLS is decided by the ASGI scheme alone. Behind a TLS-terminating proxy, uvicorn sets
    the scheme from X-Forwarded-Proto only for the proxy addresses it trusts
    (MARKAZ_FORWARDED_ALLOW_IPS, passed to uvicorn by `markaz serve`), so a client cannot
    switch HSTS on or off by sending the header itself.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self._plain = security_headers(settings, https=False)
        self._tls = security_headers(settings, https=True)
        self._docs_plain = security_headers(settings, https=False, api_docs=True)
        self._docs_tls = security_headers(settings, https=True, api_docs=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"
        if scope["path"] in _DOCS_PATHS:
            extra = self._docs_tls if https else self._docs_plain
        else:
            extra = self._tls if https else self._plain

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra:
                    if name not in headers:
                        headers.append(name, value)
            await send(message)

        for name, value in scope["headers"]:
            if name == b"content-encoding" and value.strip().lower() not in (b"", b"identity"):
                # A compressed body would be inflated past the body limit after it was
                # checked (a "zip bomb"); markaz takes bodies uncompressed only.
                response = error_response(
                    415,
                    "unsupported_media_type",
                    "compressed request bodies are not accepted (Content-Encoding "
                    f"{value.decode('latin-1')!r}); send the body uncompressed",
                )
                await response(scope, receive, send_with_headers)
                return
        await self.app(scope, receive, send_with_headers)
