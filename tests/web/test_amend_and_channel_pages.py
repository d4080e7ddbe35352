"""Retraction and correction from the report page; a member's endpoints and subscriptions; every new
page in every language."""

from __future__ import annotations

import pytest

from markaz.app import create_app
from markaz.centre import Centre
from markaz.dissemination import channels
from markaz.domain.enums import Role
from markaz.web import i18n
from tests.asgi_client import asgi_client
from tests.conftest import seat_chair
from tests.web.conftest import add_person, chain_holds, csrf_of, sign_in
from tests.web.test_exchange_pages import file_report, principal

MISSING = "01ZZZZZZZZZZZZZZZZZZZZZZZZ"


def _correction(csrf: str, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "title": "corrected title",
        "body": "the depot is 2 km further north",
        "precedence": "PRIORITY",
        "source_reliability": "B",
        "information_credibility": "2",
        "tlp": "GREEN",
        "release_all": "1",
        "keep_observations": "1",
        **changes,
    }


def test_the_originator_corrects_and_retracts_from_the_report_page(
    centre: Centre, people: dict[str, str]
) -> None:
    rid = file_report(centre, "iq.analyst", title="first version", releasable_to=["ALL"])
    hidden = file_report(centre, "iq.analyst", title="IQ only", releasable_to=["IQ"])
    add_person(centre, "IQ", "iq.auditor", Role.AUDITOR, new_member=False)
    app = create_app(centre.settings, centre)
    with asgi_client(app) as iq, asgi_client(app) as sy, asgi_client(app) as auditor:
        csrf = sign_in(iq, "iq.analyst")
        page = iq.get(f"/reports/{rid}").text
        assert 'id="retract-form"' in page and f"/reports/{rid}/correct" in page
        form = iq.get(f"/reports/{rid}/correct")
        assert form.status_code == 200 and 'value="first version"' in form.text
        assert 'id="kept-observations"' in form.text and f'action="/reports/{rid}/correct"' in form.text

        # Another member reads the report but may not amend it; one it may not read is a 404
        # exactly like a missing one.
        sy_csrf = sign_in(sy, "sy.analyst")
        assert 'id="retract-form"' not in sy.get(f"/reports/{rid}").text
        assert sy.get(f"/reports/{rid}/correct").status_code == 403
        unseen, missing = sy.get(f"/reports/{hidden}/correct"), sy.get(f"/reports/{MISSING}/correct")
        assert unseen.status_code == missing.status_code == 404
        assert unseen.text.replace(hidden, "X") == missing.text.replace(MISSING, "X")
        assert sy.post(f"/reports/{rid}/correct", data=_correction(sy_csrf)).status_code == 403
        assert (
            sy.post(f"/reports/{hidden}/retract", data={"csrf_token": sy_csrf, "reason": "x"}).status_code
            == 404
        )
        assert (
            sy.post(f"/reports/{rid}/retract", data={"csrf_token": sy_csrf, "reason": "x"}).status_code == 403
        )
        au_csrf = sign_in(auditor, "iq.auditor")
        assert (
            auditor.post(f"/reports/{rid}/retract", data={"csrf_token": au_csrf, "reason": "x"}).status_code
            == 403
        )

        # Refusals: CSRF, a bad field (the form comes back with what was typed).
        assert iq.post(f"/reports/{rid}/correct", data=_correction("forged")).status_code == 403
        blank = iq.post(f"/reports/{rid}/correct", data=_correction(csrf, title="  ", body="kept text"))
        assert blank.status_code == 422 and 'id="form-error"' in blank.text and "kept text" in blank.text
        assert iq.get(f"/api/v1/reports/{rid}").json()["status"] == "active"

        done = iq.post(f"/reports/{rid}/correct", data=_correction(csrf))
        assert done.status_code == 303, done.text
        new_id = done.headers["location"].rsplit("/", 1)[1]
        corrected = iq.get(f"/api/v1/reports/{new_id}").json()
        assert corrected["title"] == "corrected title" and corrected["supersedes"] == rid
        assert corrected["precedence"] == "PRIORITY" and corrected["tlp"] == "GREEN"
        assert [o["geometry"]["coordinates"] for o in corrected["observations"]] == [[43.1, 36.3]]
        original = iq.get(f"/reports/{rid}").text
        assert (
            f'href="/reports/{new_id}" id="superseded-by"' in original and 'id="retract-form"' not in original
        )
        assert iq.post(f"/reports/{rid}/retract", data={"csrf_token": csrf, "reason": "x"}).status_code == 409
        assert "corrected title" in sy.get(f"/reports/{new_id}").text

        # Without the kept observations the correction has none.
        bare = iq.post(f"/reports/{new_id}/correct", data=_correction(csrf, keep_observations=""))
        assert bare.status_code == 303
        third = bare.headers["location"].rsplit("/", 1)[1]
        assert iq.get(f"/api/v1/reports/{third}").json()["observations"] == []

        # Retraction: a reason is required; every recipient then sees it.
        assert (
            iq.post(f"/reports/{third}/retract", data={"csrf_token": csrf, "reason": " "}).status_code == 422
        )
        assert (
            iq.post(f"/reports/{third}/retract", data={"csrf_token": "x", "reason": "wrong"}).status_code
            == 403
        )
        gone = iq.post(f"/reports/{third}/retract", data={"csrf_token": csrf, "reason": "<b>wrong place</b>"})
        assert gone.status_code == 303 and gone.headers["location"] == f"/reports/{third}"
        shown = sy.get(f"/reports/{third}").text
        assert "&lt;b&gt;wrong place&lt;/b&gt;" in shown and 'id="retraction-reason"' in shown
        assert 'id="retract-form"' not in iq.get(f"/reports/{third}").text
    chain_holds(centre)


def test_a_member_admin_manages_endpoints_and_subscriptions(centre: Centre, people: dict[str, str]) -> None:
    add_person(centre, "SY", "sy.admin", Role.MEMBER_ADMIN, new_member=False)
    app = create_app(centre.settings, centre)
    with asgi_client(app) as admin, asgi_client(app) as analyst, asgi_client(app) as other:
        csrf = sign_in(admin, "iq.admin")
        assert 'id="endpoint-form"' in admin.get("/channels").text
        assert 'href="/channels"' in admin.get("/inbox").text
        endpoint = {"csrf_token": csrf, "url": "https://receiver.example.org/markaz"}
        assert admin.post("/channels/endpoints", data={**endpoint, "csrf_token": "x"}).status_code == 403
        bad = admin.post("/channels/endpoints", data={**endpoint, "url": "ftp://receiver.example.org/"})
        assert bad.status_code == 422 and 'id="endpoint-error"' in bad.text and "ftp://receiver" in bad.text
        short = admin.post("/channels/endpoints", data={**endpoint, "secret": "short"})
        assert short.status_code == 422
        added = admin.post("/channels/endpoints", data=endpoint)
        assert added.status_code == 200 and 'id="new-secret"' in added.text
        secret = added.text.split('<code class="secret">', 1)[1].split("<", 1)[0]
        assert len(secret) >= 32
        listing = admin.get("/channels").text
        assert "https://receiver.example.org/markaz" in listing and secret not in listing
        (stored,) = channels.list_endpoints(centre, principal(centre, "iq.admin"))

        # An analyst reads the lists but changes nothing; another member sees none of it.
        an_csrf = sign_in(analyst, "iq.analyst")
        seen = analyst.get("/channels").text
        assert (
            "receiver.example.org" in seen and 'id="endpoint-form"' not in seen and 'id="not-allowed"' in seen
        )
        refused = analyst.post("/channels/endpoints", data={**endpoint, "csrf_token": an_csrf})
        assert refused.status_code == 403
        remove = f"/channels/endpoints/{stored['id']}/remove"
        assert analyst.post(remove, data={"csrf_token": an_csrf}).status_code == 403
        sy_csrf = sign_in(other, "sy.admin")
        assert "receiver.example.org" not in other.get("/channels").text
        assert other.post(remove, data={"csrf_token": sy_csrf}).status_code == 404
        assert admin.post(remove, data={"csrf_token": csrf}).status_code == 303
        assert channels.list_endpoints(centre, principal(centre, "iq.admin"))[0]["status"] == "removed"
        assert admin.post(remove, data={"csrf_token": csrf}).status_code == 404

        # Subscriptions: an area as a box or a polygon, categories, the least urgent precedence.
        wanted = {
            "csrf_token": csrf,
            "name": "Nineveh <depots>",
            "min_lon": "42",
            "min_lat": "35.5",
            "max_lon": "44",
            "max_lat": "37",
            "categories": ["weapons_depot", "chemical_lab"],
            "min_precedence": "PRIORITY",
        }
        half = admin.post("/channels/subscriptions", data={**wanted, "max_lat": ""})
        assert half.status_code == 422 and 'id="subscription-error"' in half.text and "Nineveh" in half.text
        assert admin.post("/channels/subscriptions", data={**wanted, "min_lat": "north"}).status_code == 422
        both = admin.post("/channels/subscriptions", data={**wanted, "polygon": "{not json"})
        assert both.status_code == 422
        assert (
            admin.post("/channels/subscriptions", data={**wanted, "min_precedence": "URGENT"}).status_code
            == 422
        )
        assert (
            analyst.post("/channels/subscriptions", data={**wanted, "csrf_token": an_csrf}).status_code == 403
        )
        assert channels.list_subscriptions(centre, principal(centre, "iq.admin")) == []
        assert admin.post("/channels/subscriptions", data=wanted).status_code == 303
        ring = '{"type": "Polygon", "coordinates": [[[40, 34], [41, 34], [41, 35], [40, 34]]]}'
        polygon = {"csrf_token": csrf, "name": "polygon area", "polygon": ring}
        assert admin.post("/channels/subscriptions", data=polygon).status_code == 303
        first, second = channels.list_subscriptions(centre, principal(centre, "iq.admin"))
        assert first["bbox"] == [42, 35.5, 44, 37] and first["min_precedence"] == "PRIORITY"
        assert first["categories"] == ["chemical_lab", "weapons_depot"] and second["polygon"] is not None
        page = admin.get("/channels").text
        assert "Nineveh &lt;depots&gt;" in page and "Chemical-weapons laboratory" in page
        drop = f"/channels/subscriptions/{first['id']}/remove"
        assert other.post(drop, data={"csrf_token": sy_csrf}).status_code == 404
        assert admin.post(drop, data={"csrf_token": csrf}).status_code == 303
        assert [s["id"] for s in channels.list_subscriptions(centre, principal(centre, "iq.admin"))] == [
            second["id"]
        ]
    chain_holds(centre)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_new_page_in_every_language(centre: Centre, people: dict[str, str]) -> None:
    # Rendering does not depend on the engine; the pages' storage is tested on both above.
    seat_chair(centre)
    rid = file_report(centre, "iq.admin", title="to correct")
    pages = {
        "/governance/votes/new": "Accession of a new member",
        "/governance/circles": "New circle",
        "/governance/handover": "Hand over the chair today",
        "/channels": "Add a subscription",
        f"/reports/{rid}/correct": "Issue the corrected version",
        f"/reports/{rid}": "Retract the report",
    }
    app = create_app(centre.settings, centre)
    with asgi_client(app) as admin:
        csrf = sign_in(admin, "iq.admin")
        for language in ("en", "ar", "fa", "ru"):
            changed = admin.post("/preferences", data={"csrf_token": csrf, "language": language, "next": "/"})
            assert changed.status_code == 303
            for path, heading in pages.items():
                answer = admin.get(path)
                assert answer.status_code == 200, (language, path, answer.text[:300])
                direction = "rtl" if language in ("ar", "fa") else "ltr"
                assert f'<html lang="{language}" dir="{direction}">' in answer.text
                translated = i18n.gettext(language, heading)
                assert translated in answer.text, (language, path)
                if language != "en":
                    assert translated != heading
                assert "script-src 'self'" in answer.headers["content-security-policy"]
                assert "<script>" not in answer.text
                csrf = csrf_of(answer.text)
