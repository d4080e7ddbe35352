"""Inbox, acknowledgement, receipts, comments, situation reports and votes through the pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from markaz.app import create_app
from markaz.centre import Centre
from markaz.collection import intake
from markaz.dissemination.worker import run_until_idle
from markaz.domain.enums import MemberStatus, Role
from markaz.governance import votes
from markaz.storage.principals import Principal, find_principal
from tests.asgi_client import asgi_client
from tests.conftest import seat_chair
from tests.web.conftest import add_person, csrf_of, sign_in


def principal(centre: Centre, username: str) -> Principal:
    with centre.db.read() as conn:
        row = find_principal(conn, username)
    assert row
    return Principal(row["id"], username, row["member_code"], Role(row["role"]), MemberStatus.ACTIVE)


def file_report(centre: Centre, username: str, **fields: Any) -> str:
    item = {
        "title": "report",
        "observations": [
            {"category": "position", "geometry": {"type": "Point", "coordinates": [43.1, 36.3]}}
        ],
        **fields,
    }
    (result,) = intake.submit(centre, principal(centre, username), [item])
    assert result.id, result.error
    return result.id


def test_inbox_shows_what_was_released_and_acknowledges(centre: Centre, people: dict[str, str]) -> None:
    rid = file_report(centre, "iq.analyst", title="FLASH for Syria", precedence="FLASH", releasable_to=["SY"])
    run_until_idle(centre)
    app = create_app(centre.settings, centre)
    with asgi_client(app) as sy, asgi_client(app) as ru, asgi_client(app) as iq:
        sign_in(sy, "sy.analyst")
        sign_in(ru, "ru.analyst")
        sign_in(iq, "iq.analyst")
        assert "FLASH for Syria" not in ru.get("/inbox").text
        page = sy.get("/inbox?state=unacknowledged").text
        assert "FLASH for Syria" in page and 'class="tag FLASH"' in page
        delivery = page.split('data-delivery="', 1)[1].split('"', 1)[0]
        assert sy.post(f"/inbox/{delivery}/ack", data={"csrf_token": "forged"}).status_code == 403
        # Another member cannot acknowledge it: the same answer as for no delivery at all.
        ru_ack = ru.post(f"/inbox/{delivery}/ack", data={"csrf_token": csrf_of(ru.get("/inbox").text)})
        assert ru_ack.status_code == 404
        done = sy.post(
            f"/inbox/{delivery}/ack", data={"csrf_token": csrf_of(page), "state": "unacknowledged"}
        )
        assert done.status_code == 303 and done.headers["location"] == "/inbox?state=unacknowledged"
        assert "FLASH for Syria" not in sy.get("/inbox?state=unacknowledged").text
        assert "FLASH for Syria" in sy.get("/inbox?state=acknowledged").text
        assert sy.get("/inbox?state=bogus").status_code == 422
        # The originator sees who received and acknowledged it; others do not see that table.
        report_page = iq.get(f"/reports/{rid}").text
        receipts = report_page.split('id="receipts"', 1)[1].split("</section>", 1)[0]
        assert "(SY)" in receipts and "(RU)" not in receipts and receipts.count("UTC") >= 2
        assert 'id="receipts"' not in sy.get(f"/reports/{rid}").text


def test_comments_and_opinions_on_a_report(centre: Centre, people: dict[str, str]) -> None:
    rid = file_report(centre, "iq.analyst", title="seen by all", releasable_to=["ALL"])
    hidden = file_report(centre, "iq.analyst", title="IQ only", releasable_to=["IQ"])
    app = create_app(centre.settings, centre)
    with asgi_client(app) as sy:
        csrf = sign_in(sy, "sy.analyst")
        posted = sy.post(
            f"/reports/{rid}/comments",
            data={"csrf_token": csrf, "text": "<b>confirmed</b> by our post", "opinion": "agree"},
        )
        assert posted.status_code == 303
        page = sy.get(f"/reports/{rid}").text
        assert "&lt;b&gt;confirmed&lt;/b&gt; by our post" in page and "Comments and opinions (1)" in page
        assert sy.post(f"/reports/{rid}/comments", data={"csrf_token": "x", "text": "no"}).status_code == 403
        blank = sy.post(f"/reports/{rid}/comments", data={"csrf_token": csrf, "text": "   "})
        assert blank.status_code == 422
        unseen = sy.post(f"/reports/{hidden}/comments", data={"csrf_token": csrf, "text": "hello"})
        assert unseen.status_code == 404
        assert "Comments and opinions (1)" in sy.get(f"/reports/{rid}").text


def test_situation_report_page_links_to_view_and_pdf(centre: Centre, people: dict[str, str]) -> None:
    app = create_app(centre.settings, centre)
    with asgi_client(app) as iq:
        sign_in(iq, "iq.analyst")
        assert 'id="sitrep-links"' not in iq.get("/sitrep").text
        today = datetime.now(UTC).date()
        page = iq.get(
            f"/sitrep?since={today - timedelta(days=7)}&until={today}&lang=ar&bbox=38,34,44,37"
        ).text
        assert 'id="sitrep-view"' in page and "Reports received" in page
        link = (
            page.split('id="sitrep-pdf"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
        )
        assert link.startswith("/api/v1/sitrep?") and "format=pdf" in link
        answer = iq.get(link)
        assert answer.status_code == 200 and answer.content[:5] == b"%PDF-"
        wrong = iq.get(f"/sitrep?since={today}&until={today - timedelta(days=3)}")
        assert wrong.status_code == 422 and "since must be before until" in wrong.text
        assert iq.get("/sitrep?since=yesterday&until=").status_code == 422


def test_vote_on_an_accession_from_the_governance_page(centre: Centre, people: dict[str, str]) -> None:
    add_person(centre, "SY", "sy.admin", Role.MEMBER_ADMIN, new_member=False)
    seat_chair(centre)
    motion = votes.open_accession(
        centre,
        principal(centre, "iq.admin"),
        votes.AccessionRequest(
            code="KZ",
            names={"en": "Candidate K", "ar": "المرشح ك"},
            contact="liaison office",
            reason="<i>wishes</i> to join",
            deadline=datetime.now(UTC) + timedelta(days=7),
        ),
    )
    app = create_app(centre.settings, centre)
    with asgi_client(app) as analyst, asgi_client(app) as admin, asgi_client(app) as chair:
        sign_in(analyst, "sy.analyst")
        page = analyst.get("/governance").text
        assert "Candidate K" in page and "&lt;i&gt;wishes&lt;/i&gt;" in page
        assert f"/governance/motions/{motion['id']}/vote" not in page
        refused = analyst.post(
            f"/governance/motions/{motion['id']}/vote",
            data={"csrf_token": csrf_of(page), "choice": "approve"},
        )
        assert refused.status_code == 403
        csrf = sign_in(admin, "sy.admin")
        page = admin.get("/governance").text
        assert f"/governance/motions/{motion['id']}/vote" in page
        assert (
            admin.post(
                f"/governance/motions/{motion['id']}/vote", data={"csrf_token": csrf, "choice": "maybe"}
            ).status_code
            == 422
        )
        voted = admin.post(
            f"/governance/motions/{motion['id']}/vote", data={"csrf_token": csrf, "choice": "approve"}
        )
        assert voted.status_code == 303
        assert f'id="my-vote-{motion["id"]}"' in admin.get("/governance").text
        assert votes.get(centre, motion["id"])["votes"]["SY"][0] == "approve"
        # The chair's member administrator sees the board; others do not.
        sign_in(chair, "iq.admin")
        assert 'id="chair-board"' in chair.get("/governance").text
        assert 'id="chair-board"' not in admin.get("/governance").text


def test_suggestions_are_marked_in_the_text_and_decided_on_the_page(
    centre: Centre, people: dict[str, str]
) -> None:
    from markaz.processing.suggest import run_extraction_jobs

    body = "SYNTHETIC. Gathering seen at 36.3400N 43.1300E near Mosul."
    rid = file_report(centre, "iq.analyst", title="free text", body=body, observations=[])
    app = create_app(centre.settings, centre)
    with asgi_client(app) as iq, asgi_client(app) as sy:
        csrf = sign_in(iq, "iq.analyst")
        assert 'id="extracting"' in iq.get(f"/reports/{rid}").text
        assert run_extraction_jobs(centre) == 1
        page = iq.get(f"/reports/{rid}").text
        assert 'id="extracting"' not in page
        assert '<mark class="coordinates suggested">36.3400N 43.1300E</mark>' in page
        assert '<mark class="place suggested">Mosul</mark>' in page
        ids = [chunk.split('"', 1)[0] for chunk in page.split('data-suggestion="')[1:]]
        assert len(ids) == 2
        # Only the originator sees and decides suggestions.
        sign_in(sy, "sy.analyst")
        other = sy.get(f"/reports/{rid}").text
        assert "data-suggestion" not in other and "Mosul" in other
        refused = sy.post(f"/reports/{rid}/suggestions/{ids[0]}/confirm", data={"csrf_token": csrf_of(other)})
        assert refused.status_code == 404
        assert (
            iq.post(f"/reports/{rid}/suggestions/{ids[0]}/confirm", data={"csrf_token": csrf}).status_code
            == 303
        )
        assert (
            iq.post(f"/reports/{rid}/suggestions/{ids[1]}/dismiss", data={"csrf_token": csrf}).status_code
            == 303
        )
        again = iq.post(f"/reports/{rid}/suggestions/{ids[1]}/confirm", data={"csrf_token": csrf})
        assert again.status_code == 409
        stored = iq.get(f"/api/v1/reports/{rid}").json()
        assert [o["geometry"]["coordinates"] for o in stored["observations"]] == [[43.13, 36.34]]
        assert "suggested</mark>" not in iq.get(f"/reports/{rid}").text


def test_site_page_shows_contributions_to_those_who_may_see_them(
    centre: Centre, people: dict[str, str]
) -> None:
    from markaz.analysis.fusion import fuse_all

    here = {"category": "weapons_depot", "geometry": {"type": "Point", "coordinates": [43.1, 36.3]}}
    there = {"category": "weapons_depot", "geometry": {"type": "Point", "coordinates": [43.101, 36.3005]}}
    when = datetime.now(UTC).isoformat()
    file_report(
        centre,
        "iq.analyst",
        title="depot",
        releasable_to=["IQ", "SY"],
        observations=[{**here, "observed_at": when}],
    )
    file_report(
        centre,
        "sy.analyst",
        title="depot too",
        releasable_to=["IQ", "SY"],
        observations=[{**there, "observed_at": when}],
    )
    fuse_all(centre)
    app = create_app(centre.settings, centre)
    with asgi_client(app) as sy, asgi_client(app) as ru:
        sign_in(sy, "sy.analyst")
        sites = sy.get("/api/v1/sites").json()["items"]
        joined = [s for s in sites if s["observations"] == 2]
        assert joined, sites
        page = sy.get(f"/sites/{joined[0]['id']}")
        assert page.status_code == 200
        assert page.text.count('href="/reports/01') == 2 and "(IQ)" in page.text and "(SY)" in page.text
        sign_in(ru, "ru.analyst")
        hidden = ru.get(f"/sites/{joined[0]['id']}")
        missing = ru.get("/sites/S999999")
        assert hidden.status_code == missing.status_code == 404
        assert sy.get("/tracks/T999999").status_code == 404
