"""The browser interface over HTTP (in process): sign-in, CSRF, escaping, languages, forms."""

from __future__ import annotations

from typing import Any

from markaz.app import create_app
from markaz.centre import Centre
from markaz.collection import intake
from markaz.storage import audit
from markaz.storage.principals import find_principal
from tests.asgi_client import ASGIClient, asgi_client
from tests.web.conftest import PASSWORD, csrf_of, sign_in


def _principal(centre: Centre, username: str) -> Any:
    from markaz.domain.enums import MemberStatus, Role
    from markaz.storage.principals import Principal

    with centre.db.read() as conn:
        row = find_principal(conn, username)
    assert row
    return Principal(row["id"], username, row["member_code"], Role(row["role"]), MemberStatus.ACTIVE)


def _report(centre: Centre, username: str, title: str, release: list[str], body: str | None = None) -> str:
    item: dict[str, Any] = {
        "title": title,
        "releasable_to": release,
        "observations": [
            {"category": "gathering", "geometry": {"type": "Point", "coordinates": [43.1, 36.3]}}
        ],
    }
    if body:
        item["body"] = body
    (result,) = intake.submit(centre, _principal(centre, username), [item])
    assert result.id, result.error
    return result.id


def test_pages_need_a_session(browser_client: ASGIClient, people: dict[str, str]) -> None:
    for path in ("/", "/reports", "/reports/new", "/governance"):
        answer = browser_client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/signin?next=")
    # The API without a token or a session still answers 401.
    assert browser_client.get("/api/v1/reports").status_code == 401


def test_sign_in_sets_a_protected_cookie_and_needs_the_form_token(
    browser_client: ASGIClient, people: dict[str, str]
) -> None:
    form = browser_client.get("/signin")
    assert form.status_code == 200
    forged = browser_client.post(
        "/signin",
        data={"csrf_token": "forged-token-value-0123456789", "username": "iq.analyst", "password": PASSWORD},
    )
    assert forged.status_code == 403 and "markaz_session" not in forged.headers.get("set-cookie", "")
    wrong = browser_client.post(
        "/signin", data={"csrf_token": csrf_of(form.text), "username": "iq.analyst", "password": "wrong"}
    )
    assert wrong.status_code == 401 and "wrong" in wrong.text
    ok = browser_client.post(
        "/signin",
        data={
            "csrf_token": csrf_of(form.text),
            "username": "iq.analyst",
            "password": PASSWORD,
            "next": "//evil.example/",
        },
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    cookie = ok.headers["set-cookie"]
    assert "markaz_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = browser_client.get("/")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    # The member and the role are on every page.
    assert '<span class="member"' in page.text and "iq.analyst" in page.text and "analyst</span>" in page.text


def test_lock_out_shows_on_the_form(
    centre: Centre, browser_client: ASGIClient, people: dict[str, str]
) -> None:
    token = csrf_of(browser_client.get("/signin").text)
    codes = [
        browser_client.post(
            "/signin", data={"csrf_token": token, "username": "sy.analyst", "password": "bad"}
        ).status_code
        for _ in range(centre.settings.signin_max_failures)
    ]
    assert codes[-1] == 429 and set(codes[:-1]) == {401}
    locked = browser_client.post(
        "/signin", data={"csrf_token": token, "username": "sy.analyst", "password": PASSWORD}
    )
    assert locked.status_code == 429 and "locked until" in locked.text


def test_api_with_the_session_cookie_needs_csrf_for_writes(
    centre: Centre, browser_client: ASGIClient, people: dict[str, str]
) -> None:
    csrf = sign_in(browser_client, "iq.analyst")
    assert browser_client.get("/api/v1/me").json()["member"]["code"] == "IQ"
    report = {"title": "from the browser", "releasable_to": ["ALL"]}
    refused = browser_client.post("/api/v1/reports", json=report)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert browser_client.get("/api/v1/reports").json()["items"] == []
    forged = browser_client.post("/api/v1/reports", json=report, headers={"X-CSRF-Token": "nope"})
    assert forged.status_code == 403
    made = browser_client.post("/api/v1/reports", json=report, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201
    assert [r["title"] for r in browser_client.get("/api/v1/reports").json()["items"]] == ["from the browser"]


def test_user_text_is_escaped_everywhere(
    centre: Centre, browser_client: ASGIClient, people: dict[str, str]
) -> None:
    rid = _report(
        centre, "iq.analyst", "<script>alert(1)</script>", ["ALL"], body="<img src=x onerror=alert(2)> الموصل"
    )
    sign_in(browser_client, "iq.analyst")
    for path in (f"/reports/{rid}", "/reports"):
        text = browser_client.get(path).text
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "<img src=x" not in text


def test_a_report_not_released_answers_like_one_that_does_not_exist(
    centre: Centre, people: dict[str, str]
) -> None:
    hidden = _report(centre, "iq.analyst", "for IQ only", ["IQ"])
    app = create_app(centre.settings, centre)
    with asgi_client(app) as sy:
        sign_in(sy, "sy.analyst")
        unseen = sy.get(f"/reports/{hidden}")
        missing = sy.get("/reports/01ZZZZZZZZZZZZZZZZZZZZZZZZ")
        assert unseen.status_code == missing.status_code == 404
        assert unseen.text.replace(hidden, "X") == missing.text.replace("01ZZZZZZZZZZZZZZZZZZZZZZZZ", "X")
        assert "for IQ only" not in sy.get("/reports").text


def test_language_switch_is_remembered_and_arabic_is_right_to_left(
    centre: Centre, browser_client: ASGIClient, people: dict[str, str]
) -> None:
    csrf = sign_in(browser_client, "iq.analyst")
    changed = browser_client.post(
        "/preferences", data={"csrf_token": csrf, "language": "ar", "next": "/reports"}
    )
    assert changed.status_code == 303 and changed.headers["location"] == "/reports"
    page = browser_client.get("/reports").text
    assert '<html lang="ar" dir="rtl">' in page and "التقارير" in page and "تسجيل الخروج" in page
    # Remembered for the user: a new session opens in Arabic too.
    with asgi_client(create_app(centre.settings, centre)) as other:
        sign_in(other, "iq.analyst")
        assert 'dir="rtl"' in other.get("/governance").text
    forged = browser_client.post("/preferences", data={"csrf_token": "x", "language": "ru"})
    assert forged.status_code == 403
    assert 'lang="ar"' in browser_client.get("/reports").text


def test_new_report_form_files_a_report_with_map_points(
    centre: Centre, browser_client: ASGIClient, people: dict[str, str]
) -> None:
    csrf = sign_in(browser_client, "iq.analyst")
    form = browser_client.get("/reports/new").text
    assert 'name="release_all"' in form and 'value="SY"' in form
    answer = browser_client.post(
        "/reports/new",
        data={
            "csrf_token": csrf,
            "title": "تجمع قرب الموصل",
            "body": "تجمع قرب الموصل",
            "precedence": "PRIORITY",
            "source_reliability": "B",
            "information_credibility": "2",
            "tlp": "GREEN",
            "release_member": ["SY"],
            "obs": ["gathering|43.119|36.335"],
        },
    )
    assert answer.status_code == 303, answer.text
    rid = answer.headers["location"].rsplit("/", 1)[1]
    page = browser_client.get(f"/reports/{rid}").text
    assert 'dir="rtl"' in page and "تجمع قرب الموصل" in page
    stored = browser_client.get(f"/api/v1/reports/{rid}").json()
    assert stored["recipients"] == ["IQ", "SY"] and stored["precedence"] == "PRIORITY"
    assert stored["observations"][0]["geometry"]["coordinates"] == [43.119, 36.335]


def test_a_refused_report_form_changes_nothing_and_says_why(
    centre: Centre, browser_client: ASGIClient, people: dict[str, str]
) -> None:
    csrf = sign_in(browser_client, "iq.analyst")
    with centre.db.read() as conn:
        before = audit.verify(conn).entries
    answer = browser_client.post(
        "/reports/new", data={"csrf_token": csrf, "title": "no recipients", "precedence": "ROUTINE"}
    )
    assert answer.status_code == 422 and "releasable_to" in answer.text
    assert 'value="no recipients"' in answer.text
    bad_point = browser_client.post(
        "/reports/new",
        data={"csrf_token": csrf, "title": "x", "release_all": "1", "obs": ["gathering|500|0"]},
    )
    assert bad_point.status_code == 422
    # The form comes back released as it was sent: ALL stays unticked when members were chosen,
    # so sending it again does not widen the release.
    chosen = browser_client.post(
        "/reports/new",
        data={"csrf_token": csrf, "title": "x", "release_member": ["SY"], "obs": ["gathering|500|0"]},
    )
    assert chosen.status_code == 422
    assert 'value="SY" class="release-one" checked' in chosen.text
    assert 'id="release-all" checked' not in chosen.text
    no_csrf = browser_client.post("/reports/new", data={"title": "x", "release_all": "1"})
    assert no_csrf.status_code == 403
    with centre.db.read() as conn:
        assert audit.verify(conn).entries == before
    assert browser_client.get("/api/v1/reports").json()["items"] == []


def test_sign_out_ends_the_session(browser_client: ASGIClient, people: dict[str, str]) -> None:
    csrf = sign_in(browser_client, "iq.analyst")
    assert browser_client.post("/signout", data={"csrf_token": "x"}).status_code == 403
    out = browser_client.post("/signout", data={"csrf_token": csrf})
    assert out.status_code == 303
    assert browser_client.get("/").status_code == 303
    assert browser_client.get("/api/v1/me").status_code == 401
