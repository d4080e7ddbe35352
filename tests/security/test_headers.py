"""HTTP hardening: security headers on every answer, HSTS only over TLS, CORS closed unless configured."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
from sqlalchemy import func, select
from tests.asgi_client import ASGIClient, asgi_client
from tests.conftest import Account

from markaz.api.security import content_security_policy
from markaz.app import create_app
from markaz.centre import Centre
from markaz.settings import Settings
from markaz.storage.schema import reports

EXPECTED = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def _check(response_headers: object) -> None:
    headers = response_headers  # httpx.Headers
    for name, value in EXPECTED.items():
        assert headers[name] == value, name  # type: ignore[index]
    csp = headers["content-security-policy"]  # type: ignore[index]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert "object-src 'none'" in csp and "'unsafe-inline'" not in csp


def test_headers_on_success_error_and_refusal(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    h = accounts["IQ"].headers
    ok = client.get("/api/v1/reports", headers=h)
    assert ok.status_code == 200
    _check(ok.headers)
    assert "strict-transport-security" not in ok.headers  # plain HTTP
    unauth = client.get("/api/v1/reports")
    assert unauth.status_code == 401
    _check(unauth.headers)
    too_big = client.post(
        "/api/v1/reports",
        headers={**h, "Content-Type": "application/json"},
        content=b"[" + b"0," * (centre.settings.max_body_bytes // 2) + b"0]",
    )
    assert too_big.status_code == 413
    _check(too_big.headers)
    missing = client.get("/nothing-here")
    assert missing.status_code == 404
    _check(missing.headers)


def test_hsts_only_over_tls(centre: Centre, accounts: dict[str, Account]) -> None:
    app = create_app(centre.settings, centre)
    with asgi_client(app) as plain:
        # A client cannot switch HSTS on by claiming TLS: only uvicorn, for trusted proxy
        # addresses, turns X-Forwarded-Proto into the request's scheme.
        r = plain.get("/api/v1/me", headers={**accounts["IQ"].headers, "X-Forwarded-Proto": "https"})
        assert r.status_code == 200 and "strict-transport-security" not in r.headers
    import httpx
    from anyio.from_thread import start_blocking_portal

    with start_blocking_portal() as portal:
        transport = httpx.ASGITransport(app=app)
        tls = httpx.AsyncClient(transport=transport, base_url="https://markaz.test")
        try:
            r = portal.call(lambda: tls.get("/api/v1/me", headers=accounts["IQ"].headers))
        finally:
            portal.call(tls.aclose)
    assert r.status_code == 200
    assert r.headers["strict-transport-security"].startswith("max-age=31536000")


def test_cors_closed_by_default(client: ASGIClient, accounts: dict[str, Account]) -> None:
    preflight = client.request(
        "OPTIONS",
        "/api/v1/reports",
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers
    simple = client.get(
        "/api/v1/me", headers={**accounts["IQ"].headers, "Origin": "https://elsewhere.example"}
    )
    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers


def test_cors_allows_only_configured_origins(centre: Centre, accounts: dict[str, Account]) -> None:
    settings = centre.settings.model_copy(update={"cors_allow_origins": ["https://staff.iq.example"]})
    with asgi_client(create_app(settings, centre)) as c:
        ok = c.get("/api/v1/me", headers={**accounts["IQ"].headers, "Origin": "https://staff.iq.example"})
        assert ok.headers["access-control-allow-origin"] == "https://staff.iq.example"
        other = c.get("/api/v1/me", headers={**accounts["IQ"].headers, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_csp_names_the_tile_server_and_nothing_else(tmp_path: Path) -> None:
    base = Settings(database_url=f"sqlite:///{tmp_path}/x.db")
    csp = content_security_policy(base)
    assert "img-src 'self' data:;" in csp
    if "tile_url" in Settings.model_fields:
        tiles = base.model_copy(update={"tile_url": "https://tiles.centre.example:8443/{z}/{x}/{y}.png"})
        assert "img-src 'self' data: https://tiles.centre.example:8443;" in content_security_policy(tiles)
        subdomains = base.model_copy(update={"tile_url": "https://{s}.tile.example.org/{z}/{x}/{y}.png"})
        assert "img-src 'self' data: https://*.tile.example.org;" in content_security_policy(subdomains)
    docs = content_security_policy(base, api_docs=True)
    assert "https://cdn.jsdelivr.net" in docs and "frame-ancestors 'none'" in docs


def test_compressed_bodies_are_refused(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    # 10 MB of JSON whitespace compresses to about 10 KB: a body that passes any size check
    # before decompression. markaz refuses compressed bodies outright.
    bomb = gzip.compress(b"{" + b" " * 10_000_000 + b'"title": "x"}')
    assert len(bomb) < 20_000
    for encoding in ("gzip", "deflate", "br", "GZIP"):
        r = client.post(
            "/api/v1/reports",
            headers={
                **accounts["IQ"].headers,
                "Content-Type": "application/json",
                "Content-Encoding": encoding,
            },
            content=bomb,
        )
        assert r.status_code == 415, r.text
        assert r.json()["error"]["code"] == "unsupported_media_type"
        _check(r.headers)
    plain = client.post(
        "/api/v1/reports",
        headers={
            **accounts["IQ"].headers,
            "Content-Type": "application/json",
            "Content-Encoding": "identity",
        },
        content=orjson.dumps({"title": "plain"}),
    )
    assert plain.status_code == 201
    with centre.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(reports)).scalar_one() == 1
