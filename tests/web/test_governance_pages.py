"""Opening, closing and deciding votes, the chair's handover and sharing circles, through the pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from markaz.app import create_app
from markaz.centre import Centre
from markaz.domain.enums import Role
from markaz.governance import chair, votes
from markaz.governance import circles as circle_rules
from tests.asgi_client import ASGIClient, asgi_client
from tests.conftest import seat_chair
from tests.web.conftest import add_person, chain_holds, sign_in


def _deadline(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _accession(csrf: str, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "code": "KZ",
        "name_en": "Candidate K (synthetic)",
        "name_fa": "نامزد ک",
        "contact": "liaison office",
        "reason": "<b>wishes</b> to join",
        "deadline": _deadline(7),
        **changes,
    }


def _motion_id(location: str) -> str:
    found = re.fullmatch(r"/governance#motion-([0-9A-Z]{26})", location)
    assert found, location
    return found.group(1)


def test_the_chair_opens_closes_and_admits_through_the_pages(centre: Centre, people: dict[str, str]) -> None:
    seat_chair(centre)
    add_person(centre, "SY", "sy.admin", Role.MEMBER_ADMIN, new_member=False)
    app = create_app(centre.settings, centre)
    with asgi_client(app) as iq, asgi_client(app) as sy, asgi_client(app) as analyst:
        csrf = sign_in(iq, "iq.admin")
        form = iq.get("/governance/votes/new").text
        assert 'id="accession-form"' in form and 'id="member-vote-form"' in form
        # Refusals come back on the form, with what was typed, and change nothing.
        assert iq.post("/governance/votes/accession", data=_accession("forged")).status_code == 403
        bad = iq.post("/governance/votes/accession", data=_accession(csrf, code="kz!"))
        assert bad.status_code == 422 and 'id="form-error"' in bad.text and "liaison office" in bad.text
        past = iq.post("/governance/votes/accession", data=_accession(csrf, deadline=_deadline(-1)))
        assert past.status_code == 422 and "deadline" in past.text
        unreadable = iq.post("/governance/votes/accession", data=_accession(csrf, deadline="next week"))
        assert unreadable.status_code == 422 and "deadline" in unreadable.text
        nameless = iq.post("/governance/votes/accession", data=_accession(csrf, name_en="", name_fa=""))
        assert nameless.status_code == 422
        assert votes.list_motions(centre) == []
        opened = iq.post("/governance/votes/accession", data=_accession(csrf))
        assert opened.status_code == 303, opened.text
        motion = _motion_id(opened.headers["location"])
        stored = votes.get(centre, motion)
        assert stored["subject"] == "KZ" and stored["candidate"]["names"] == {
            "en": "Candidate K (synthetic)",
            "fa": "نامزد ک",
        }
        again = iq.post("/governance/votes/accession", data=_accession(csrf))
        assert again.status_code == 409 and "already open" in again.text

        # Not the chair: no form is offered, and sending one is refused by the vote rules.
        sy_csrf = sign_in(sy, "sy.admin")
        assert 'id="accession-form"' not in sy.get("/governance/votes/new").text
        refused = sy.post("/governance/votes/accession", data=_accession(sy_csrf, code="KY"))
        assert refused.status_code == 403 and "does not hold the chair" in refused.text
        an_csrf = sign_in(analyst, "iq.analyst")
        assert (
            analyst.post("/governance/votes/accession", data=_accession(an_csrf, code="KY")).status_code
            == 403
        )
        closing = f"/governance/motions/{motion}/close"
        assert closing not in sy.get("/governance").text
        assert sy.post(closing, data={"csrf_token": sy_csrf}).status_code == 403

        # IQ and SY approve (2 of 3 active members: quorate), the chair closes it now.
        for client, token in ((iq, csrf), (sy, sy_csrf)):
            voted = client.post(
                f"/governance/motions/{motion}/vote", data={"csrf_token": token, "choice": "approve"}
            )
            assert voted.status_code == 303
        assert closing in iq.get("/governance").text
        assert iq.post(closing, data={"csrf_token": "forged"}).status_code == 403
        assert iq.post(closing, data={"csrf_token": csrf}).status_code == 303
        assert votes.get(centre, motion)["status"] == "approved"
        assert iq.post(closing, data={"csrf_token": csrf}).status_code == 409

        # The admitted member's credentials: once, to the chair only.
        issue = f"/governance/motions/{motion}/credentials"
        assert issue in iq.get("/governance").text and issue not in sy.get("/governance").text
        assert sy.post(issue, data={"csrf_token": sy_csrf}).status_code == 403
        shown = iq.post(issue, data={"csrf_token": csrf})
        assert shown.status_code == 200 and "kz.admin" in shown.text and 'class="secret"' in shown.text
        assert iq.post(issue, data={"csrf_token": csrf}).status_code == 409
        assert issue not in iq.get("/governance").text

        # A suspension vote from the same page; a wrong kind or member is refused.
        member_form = {"csrf_token": csrf, "member": "RU", "member_deadline": _deadline(3)}
        unknown = iq.post("/governance/votes/suspend", data={**member_form, "member": "ZZ"})
        assert unknown.status_code == 404 and 'id="form-error"' in unknown.text
        assert iq.post("/governance/votes/reinstate", data=member_form).status_code == 409
        late = iq.post("/governance/votes/suspend", data={**member_form, "member_deadline": "soon"})
        assert late.status_code == 422 and "deadline" in late.text
        suspend = iq.post("/governance/votes/suspend", data=member_form)
        assert suspend.status_code == 303
        suspension = _motion_id(suspend.headers["location"])
        assert votes.get(centre, suspension)["kind"] == "suspend"
        shown = iq.get("/governance").text.split(f'id="motion-{suspension}"', 1)[1].split("</h3>", 1)[0]
        assert "Suspension of Member RU (RU)" in " ".join(shown.split())
    chain_holds(centre)


def test_the_chair_hands_over_through_the_page(centre: Centre, people: dict[str, str]) -> None:
    seat_chair(centre)
    add_person(centre, "SY", "sy.admin", Role.MEMBER_ADMIN, new_member=False)
    app = create_app(centre.settings, centre)
    with asgi_client(app) as iq, asgi_client(app) as sy, asgi_client(app) as analyst:
        csrf = sign_in(iq, "iq.admin")
        page = iq.get("/governance/handover").text
        assert 'id="handover-form"' in page and 'id="successor"' in page and "(SY)" in page
        sy_csrf = sign_in(sy, "sy.admin")
        assert 'id="not-chair"' in sy.get("/governance/handover").text
        assert sy.post("/governance/handover", data={"csrf_token": sy_csrf}).status_code == 403
        an_csrf = sign_in(analyst, "iq.analyst")
        assert 'id="handover-form"' not in analyst.get("/governance/handover").text
        assert analyst.post("/governance/handover", data={"csrf_token": an_csrf}).status_code == 403
        assert iq.post("/governance/handover", data={"csrf_token": "forged"}).status_code == 403
        assert chair.current(centre).member == "IQ"
        done = iq.post("/governance/handover", data={"csrf_token": csrf})
        assert done.status_code == 303 and done.headers["location"] == "/governance#current-chair"
        today = datetime.now(UTC).date()
        assert chair.current(centre).member == "SY" and chair.current(centre).starts_on == today
        assert "(SY)" in iq.get("/governance").text.split('id="current-chair"', 1)[1].split("</p>", 1)[0]
        # IQ no longer chairs: a second handover is refused.
        assert iq.post("/governance/handover", data={"csrf_token": csrf}).status_code == 403
    chain_holds(centre)


def _circle(client: ASGIClient, csrf: str, name: str, *members: str) -> httpx.Response:
    return client.post(
        "/governance/circles",
        data={"csrf_token": csrf, "name": name, "description": "<i>synthetic</i>", "members": list(members)},
    )


def test_circles_are_created_consented_and_left_through_the_page(
    centre: Centre, people: dict[str, str]
) -> None:
    add_person(centre, "SY", "sy.admin", Role.MEMBER_ADMIN, new_member=False)
    add_person(centre, "RU", "ru.admin", Role.MEMBER_ADMIN, new_member=False)
    app = create_app(centre.settings, centre)
    with asgi_client(app) as iq, asgi_client(app) as sy, asgi_client(app) as ru, asgi_client(app) as analyst:
        csrf = sign_in(iq, "iq.admin")
        assert 'id="circle-form"' in iq.get("/governance/circles").text
        assert _circle(iq, "forged", "iq-sy", "IQ", "SY").status_code == 403
        bad = _circle(iq, csrf, "Bad Name!", "IQ", "SY")
        assert bad.status_code == 422 and 'id="form-error"' in bad.text
        assert _circle(iq, csrf, "lonely", "IQ").status_code == 422
        outside = _circle(iq, csrf, "sy-ru", "SY", "RU")
        assert outside.status_code == 403 and "belongs to" in outside.text
        assert circle_rules.list_all(centre) == []
        made = _circle(iq, csrf, "iq-sy", "IQ", "SY")
        assert made.status_code == 303 and made.headers["location"] == "/governance/circles#circle-iq-sy"
        page = iq.get("/governance/circles").text
        assert "&lt;i&gt;synthetic&lt;/i&gt;" in page and "consent pending" in page
        # An analyst reads circles but manages none.
        an_csrf = sign_in(analyst, "iq.analyst")
        assert 'id="not-allowed"' in analyst.get("/governance/circles").text
        assert (
            analyst.post("/governance/circles/iq-sy/leave", data={"csrf_token": an_csrf}).status_code == 403
        )
        # SY consents: the circle of two becomes active. RU is not in it.
        sy_csrf = sign_in(sy, "sy.admin")
        assert "/governance/circles/iq-sy/consent" in sy.get("/governance/circles").text
        assert sy.post("/governance/circles/iq-sy/consent", data={"csrf_token": "x"}).status_code == 403
        assert sy.post("/governance/circles/iq-sy/consent", data={"csrf_token": sy_csrf}).status_code == 303
        assert circle_rules.get(centre, "iq-sy")["status"] == "active"
        assert sy.post("/governance/circles/iq-sy/consent", data={"csrf_token": sy_csrf}).status_code == 409
        ru_csrf = sign_in(ru, "ru.admin")
        assert "/governance/circles/iq-sy/leave" not in ru.get("/governance/circles").text
        assert ru.post("/governance/circles/iq-sy/consent", data={"csrf_token": ru_csrf}).status_code == 404
        assert sy.post("/governance/circles/iq-sy/leave", data={"csrf_token": sy_csrf}).status_code == 303
        assert [m["code"] for m in circle_rules.get(centre, "iq-sy")["members"]] == ["IQ"]
    chain_holds(centre)
