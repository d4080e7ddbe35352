"""In Chromium: the situation report's HTML from the API is styled under the site's policy."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, Route

from markaz.api.security import content_security_policy
from markaz.settings import Settings
from tests.browser.conftest import SECRET, OpenPage, Served, shot, sign_in

URL = "/api/v1/sitrep?since=2026-08-01T00:00:00Z&until=2027-01-01T00:00:00Z&lang=ar&format=html"

# Runs before the document's own content and outside its policy (Playwright injects it).
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""

LOOK = """() => {
  const th = document.querySelector('table.rows th');
  const rows = document.querySelector('table.rows');
  return {
    dir: document.documentElement.dir,
    th: th ? getComputedStyle(th).backgroundColor : null,
    layout: rows ? getComputedStyle(rows).tableLayout : null,
    violations: window.__violations,
  };
}"""


def _open(page: Page) -> dict[str, Any]:
    page.add_init_script(WATCH)
    response = page.goto(URL)
    assert response is not None and response.status == 200
    page.wait_for_load_state("load")
    found: dict[str, Any] = page.evaluate(LOOK)
    return found


def test_the_served_report_is_styled_and_nothing_is_refused(open_page: OpenPage) -> None:
    page, console = open_page()
    sign_in(page, "iq.web")
    found = _open(page)
    assert found == {
        "dir": "rtl",
        "th": "rgb(238, 241, 244)",  # the report's own style sheet applies
        "layout": "fixed",
        "violations": [],
    }
    shot(page, "sitrep-html")
    assert console.errors == []


def test_control_without_the_hash_the_style_is_refused(open_page: OpenPage, served: Served) -> None:
    """The same document under the site's plain policy: Chromium refuses the style block, so the
    check above can fail."""
    page, console = open_page()
    sign_in(page, "iq.web")
    plain = content_security_policy(Settings(database_url=served.url, secret_key=SECRET))

    def strip_hash(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": plain})

    page.route("**/api/v1/sitrep?*", strip_hash)
    found = _open(page)
    assert found["th"] != "rgb(238, 241, 244)"
    assert any(v.startswith("style-src") for v in found["violations"])
    assert any("Content Security Policy" in e for e in console.errors)
