"""Situation reports as served HTML: the page's Content-Security-Policy admits its style and nothing else."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from markaz.api.security import content_security_policy
from markaz.centre import Centre
from tests.analysis.test_sitrep_products import _setup_chair
from tests.asgi_client import ASGIClient
from tests.conftest import Account


class _Styles(HTMLParser):
    """Everything in a document that a browser would apply as style, and any script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.links: list[str] = []
        self.scripts = 0
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "style" in values:
            self.attributes.append((tag, values["style"] or ""))
        if tag == "style":
            self._in_style = True
            self.blocks.append("")
        if tag == "link" and "stylesheet" in (values.get("rel") or "").lower().split():
            self.links.append(values.get("href") or "")
        if tag == "script" or any(name.startswith("on") for name in values):
            self.scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.blocks[-1] += data


def _policy(header: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for directive in header.split(";"):
        parts = directive.split()
        if parts:
            out[parts[0].lower()] = parts[1:]
    return out


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _check(centre: Centre, header: str, html: str) -> None:
    """What a CSP Level 2 browser would do with the document under this header."""
    policy = _policy(header)
    site = _policy(content_security_policy(centre.settings))
    style_src = policy.get("style-src", policy.get("default-src", []))
    assert "'unsafe-inline'" not in style_src and "'unsafe-hashes'" not in style_src
    # Only the style sources differ from the site's policy, by hashes alone.
    assert {k: v for k, v in policy.items() if k != "style-src"} == {
        k: v for k, v in site.items() if k != "style-src"
    }
    added = set(style_src) - set(site["style-src"])
    assert added and all(s.startswith("'sha256-") for s in added)
    found = _Styles()
    found.feed(html)
    found.close()
    assert found.blocks, "the report brings its own style sheet"
    for block in found.blocks:
        assert _sha256(block) in style_src
        # The control: a style block changed by one character would be refused.
        assert _sha256(block + " ") not in style_src
    assert found.attributes == []  # style attributes are refused without 'unsafe-hashes'
    assert found.links == []  # self-contained: nothing to fetch
    assert found.scripts == 0


def _period() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "since": (now - timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
        "until": (now + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
    }


def _submit(client: ASGIClient, account: Account) -> None:
    r = client.post(
        "/api/v1/reports",
        headers=account.headers,
        json={
            "title": "[SYNTHETIC] <b style='color:red'>gathering</b>",
            "releasable_to": ["ALL"],
            "observations": [
                {
                    "category": "movement",
                    "subject": "Group A (synthetic)",
                    "geometry": {"type": "LineString", "coordinates": [[43.1, 36.3], [43.4, 36.5]]},
                },
                {"category": "gathering", "geometry": {"type": "Point", "coordinates": [43.13, 36.34]}},
            ],
        },
    )
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_served_sitrep_html_is_styled_under_the_policy(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account], lang: str
) -> None:
    _submit(client, accounts["IQ"])
    h = accounts["RU"].headers
    r = client.get("/api/v1/sitrep", headers=h, params={**_period(), "lang": lang, "format": "html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert 'class="cat-movement"' in r.text  # the map and the report's content are there
    _check(centre, r.headers["content-security-policy"], r.text)
    # Other formats keep the site's policy unchanged.
    j = client.get("/api/v1/sitrep", headers=h, params={**_period(), "format": "json"})
    assert j.headers["content-security-policy"] == content_security_policy(centre.settings)


def test_served_product_html_is_styled_under_the_policy(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account]
) -> None:
    admin = _setup_chair(centre, "IQ")
    _submit(client, accounts["IQ"])
    r = client.post(
        "/api/v1/products",
        headers=admin.headers,
        json={**_period(), "lang": "fa", "releasable_to": ["RU"]},
    )
    assert r.status_code == 201, r.text
    page = client.get(
        f"/api/v1/products/{r.json()['id']}", headers=accounts["RU"].headers, params={"format": "html"}
    )
    assert page.status_code == 200 and '<html lang="fa" dir="rtl">' in page.text
    _check(centre, page.headers["content-security-policy"], page.text)
