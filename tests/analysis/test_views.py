"""Exchange of views: comments and opinions follow the item's visibility, threads, notifications."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from markaz.centre import Centre
from markaz.cli import build_app
from markaz.dissemination.outbox import fan_out
from markaz.domain.enums import Role
from markaz.storage import audit
from markaz.storage.schema import audit_log
from markaz.storage.schema_dissemination import deliveries, outbox
from markaz.storage.schema_views import comment_notifications, comments
from tests.asgi_client import ASGIClient
from tests.conftest import Account, add_account

_run = itertools.count(1)


def _report(client: ASGIClient, account: Account, releasable_to: list[str], title: str = "site seen") -> str:
    r = client.post(
        "/api/v1/reports",
        headers=account.headers,
        json={
            "title": title,
            "releasable_to": releasable_to,
            "observations": [
                {"category": "gathering", "geometry": {"type": "Point", "coordinates": [43.1, 36.3]}}
            ],
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _rows(centre: Centre) -> tuple[int, int, int]:
    with centre.db.read() as conn:
        return (
            conn.execute(select(func.count()).select_from(comments)).scalar_one(),
            conn.execute(select(func.count()).select_from(comment_notifications)).scalar_one(),
            conn.execute(select(func.count()).select_from(audit_log)).scalar_one(),
        )


def test_thread_opinions_and_notifications(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account]
) -> None:
    iq, ru, sy, ir = (accounts[c] for c in ("IQ", "RU", "SY", "IR"))
    rid = _report(client, iq, ["RU", "SY"])
    url = f"/api/v1/reports/{rid}/comments"
    first = client.post(url, headers=ru.headers, json={"text": "Seen too, 300 m north.", "opinion": "agree"})
    assert first.status_code == 201, first.text
    c1 = first.json()
    assert c1["item"] == {"type": "report", "id": rid} and c1["member"] == "RU" and c1["reply_to"] is None
    reply = client.post(
        url,
        headers=sy.headers,
        json={
            "text": "لا نؤكد ذلك؛ الموقع مهجور منذ أسبوع",
            "opinion": "strongly-disagree",
            "reply_to": c1["id"],
        },
    )
    assert reply.status_code == 201, reply.text
    own = client.post(url, headers=iq.headers, json={"text": "Source re-checked."})
    assert own.status_code == 201 and own.json()["opinion"] is None

    page = client.get(url, headers=ru.headers).json()
    assert page["count"] == 3
    assert page["opinions"] == {
        "strongly-disagree": 1,
        "disagree": 0,
        "neutral": 0,
        "agree": 1,
        "strongly-agree": 0,
    }
    assert [c["id"] for c in page["items"]] == [c1["id"], reply.json()["id"], own.json()["id"]]
    assert page["items"][1]["reply_to"] == c1["id"]
    assert page["items"][1]["text"] == "لا نؤكد ذلك؛ الموقع مهجور منذ أسبوع"

    # Paging keeps the order.
    one = client.get(url, headers=ru.headers, params={"limit": 2}).json()
    assert len(one["items"]) == 2 and one["next_cursor"] == one["items"][1]["id"]
    rest = client.get(url, headers=ru.headers, params={"limit": 2, "cursor": one["next_cursor"]}).json()
    assert [c["id"] for c in rest["items"]] == [own.json()["id"]] and rest["next_cursor"] is None

    # The originator hears of RU's and SY's comments, not of its own; RU hears of SY's reply.
    def told(a: Account) -> list[str]:
        return [
            c["id"] for c in client.get("/api/v1/comments/notifications", headers=a.headers).json()["items"]
        ]

    assert told(iq) == [c1["id"], reply.json()["id"]]
    assert told(ru) == [reply.json()["id"]]
    assert told(sy) == []
    # The notifications are disseminated too (webhook, inbox, stream) as notification events.
    with centre.db.read() as conn:
        sent = conn.execute(
            select(outbox.c.refs, outbox.c.recipients, outbox.c.payload).where(
                outbox.c.event == "notification"
            )
        ).all()
    assert [(r.refs, r.recipients, r.payload["kind"]) for r in sent] == [
        ([c1["id"]], ["IQ"], "comment"),
        ([reply.json()["id"]], ["IQ", "RU"], "comment"),
    ]
    with centre.db.write() as conn:
        fan_out(conn, centre.db.dialect, centre.settings)
    with centre.db.read() as conn:
        delivered = conn.execute(
            select(deliveries.c.member_code, deliveries.c.ref).where(deliveries.c.event == "notification")
        ).all()
    assert sorted(delivered) == sorted(
        [("IQ", c1["id"]), ("IQ", reply.json()["id"]), ("RU", reply.json()["id"])]
    )
    # IR cannot see the report: no thread, no count, no notification.
    assert client.get(url, headers=ir.headers).status_code == 404
    assert told(ir) == []
    with centre.db.read() as conn:
        assert audit.verify(conn).ok


def test_invisible_and_missing_answer_alike_and_store_nothing(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account]
) -> None:
    iq, ir = accounts["IQ"], accounts["IR"]
    rid = _report(client, iq, ["RU"])
    before = _rows(centre)
    hidden = client.post(f"/api/v1/reports/{rid}/comments", headers=ir.headers, json={"text": "x"})
    missing = client.post(
        "/api/v1/reports/01ARZ3NDEKTSV4RRFFQ69G5FAV/comments", headers=ir.headers, json={"text": "x"}
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    assert hidden.json()["error"]["message"].replace(rid, "X") == missing.json()["error"]["message"].replace(
        "01ARZ3NDEKTSV4RRFFQ69G5FAV", "X"
    )
    assert client.get(f"/api/v1/reports/{rid}/comments", headers=ir.headers).status_code == 404
    assert _rows(centre) == before


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"text": "ok", "opinion": "agree-ish"}, 422, "opinion"),
        ({"text": ""}, 422, "text"),
        ({"text": "   \n "}, 422, "text"),
        ({"text": "x" * 10_001}, 422, "text"),
        ({"text": "a\u202eb"}, 422, "text"),
        ({"opinion": "agree"}, 422, "text"),
        ({"text": "ok", "colour": "red"}, 422, "colour"),
        ({"text": "ok", "reply_to": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, 422, "reply_to"),
        ({"text": "ok", "reply_to": "not-an-id"}, 422, "reply_to"),
        (["text"], 400, None),
    ],
)
def test_bad_comments_are_refused_and_change_nothing(
    centre: Centre,
    client: ASGIClient,
    accounts: dict[str, Account],
    body: Any,
    status: int,
    field: str | None,
) -> None:
    rid = _report(client, accounts["IQ"], ["ALL"])
    before = _rows(centre)
    r = client.post(f"/api/v1/reports/{rid}/comments", headers=accounts["RU"].headers, json=body)
    assert r.status_code == status, r.text
    assert r.json()["error"]["message"]
    if field is not None:
        assert r.json()["error"]["field"] == field
    assert _rows(centre) == before


def test_a_reply_must_be_on_the_same_item_and_readers_may_not_comment(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account]
) -> None:
    iq, ru = accounts["IQ"], accounts["RU"]
    a = _report(client, iq, ["ALL"], "a")
    b = _report(client, iq, ["ALL"], "b")
    on_a = client.post(f"/api/v1/reports/{a}/comments", headers=ru.headers, json={"text": "on a"}).json()
    auditor = add_account(centre, "RU", Role.AUDITOR, new_member=False)
    before = _rows(centre)
    r = client.post(
        f"/api/v1/reports/{b}/comments", headers=ru.headers, json={"text": "re", "reply_to": on_a["id"]}
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "reply_to"
    r = client.post(f"/api/v1/reports/{a}/comments", headers=auditor.headers, json={"text": "x"})
    assert r.status_code == 403
    assert _rows(centre) == before
    assert client.get(f"/api/v1/reports/{a}/comments", headers=auditor.headers).json()["count"] == 1
    assert (
        client.get(f"/api/v1/reports/{a}/comments", headers=ru.headers, params={"limit": 100_000}).status_code
        == 422
    )


def test_audit_verify_sees_a_comment_altered_behind_the_application(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account]
) -> None:
    rid = _report(client, accounts["IQ"], ["ALL"])
    cid = client.post(
        f"/api/v1/reports/{rid}/comments",
        headers=accounts["RU"].headers,
        json={"text": "genuine", "opinion": "agree"},
    ).json()["id"]
    with centre.db.read() as conn:
        assert audit.verify(conn).ok
    with centre.db.write() as conn:
        conn.execute(update(comments).where(comments.c.id == cid).values(opinion="strongly-disagree"))
    with centre.db.read() as conn:
        result = audit.verify(conn)
    assert not result.ok and f"comment {cid} was altered" in (result.problem or "")


# Release sets drawn over 2-5 members: None means ALL, otherwise the named members.
release = st.one_of(st.none(), st.sets(st.integers(min_value=0, max_value=4), max_size=4))


@settings(max_examples=25)
@given(
    n_members=st.integers(min_value=2, max_value=5),
    reports=st.lists(st.tuples(st.integers(0, 4), release), min_size=1, max_size=4),
    attempts=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3)), max_size=10),
)
def test_comments_are_visible_exactly_to_those_who_see_the_report(
    centre: Centre,
    client: ASGIClient,
    n_members: int,
    reports: list[tuple[int, set[int] | None]],
    attempts: list[tuple[int, int]],
) -> None:
    run = next(_run)
    accounts = [add_account(centre, f"V{run:04d}{i}") for i in range(n_members)]
    codes = [a.member for a in accounts]
    audience: dict[str, set[str]] = {}
    for origin_i, rel in reports:
        origin = accounts[origin_i % n_members]
        releasable = ["ALL"] if rel is None else sorted({codes[i % n_members] for i in rel} | {origin.member})
        rid = _report(client, origin, releasable)
        audience[rid] = set(codes) if rel is None else set(releasable)
    # ALL also covers members of earlier examples; only this example's members matter here.
    rids = list(audience)
    posted: dict[str, int] = dict.fromkeys(rids, 0)
    for who_i, which in attempts:
        who, rid = accounts[who_i % n_members], rids[which % len(rids)]
        r = client.post(
            f"/api/v1/reports/{rid}/comments", headers=who.headers, json={"text": f"view of {who.member}"}
        )
        if who.member in audience[rid]:
            assert r.status_code == 201, r.text
            posted[rid] += 1
        else:
            assert r.status_code == 404, r.text
    for account in accounts:
        for rid in rids:
            r = client.get(f"/api/v1/reports/{rid}/comments", headers=account.headers)
            if account.member in audience[rid]:
                assert r.status_code == 200
                assert r.json()["count"] == posted[rid] == len(r.json()["items"])
            else:
                assert r.status_code == 404
                assert "count" not in r.text
        told = client.get("/api/v1/comments/notifications", headers=account.headers, params={"limit": 1000})
        assert {c["item"]["id"] for c in told.json()["items"]} <= {
            rid for rid in rids if account.member in audience[rid]
        }


def test_cli_comment_add_list_notifications(
    centre: Centre, database_url: str, client: ASGIClient, accounts: dict[str, Account]
) -> None:
    rid = _report(client, accounts["IQ"], ["RU"])
    runner = CliRunner()
    app = build_app()

    def run(*args: str) -> Any:
        result = runner.invoke(app, [*args, "--database-url", database_url])
        assert "Traceback" not in result.output
        return result

    added = run(
        "comment", "add", rid, "--member", "RU", "--text", "Agreed: same place.", "--opinion", "agree"
    )
    assert added.exit_code == 0, added.output
    cid = added.stdout.strip()
    reply = run("comment", "add", rid, "--member", "IQ", "--text", "Thanks.", "--reply-to", cid)
    assert reply.exit_code == 0, reply.output
    listed = run("comment", "list", rid, "--member", "RU")
    assert listed.exit_code == 0
    assert "2 comment(s); opinions: agree 1" in listed.stdout and f"re {cid}" in listed.stdout
    told = run("comment", "notifications", "--member", "IQ")
    assert cid in told.stdout
    hidden = run("comment", "list", rid, "--member", "SY")
    assert hidden.exit_code == 1 and hidden.stderr.startswith("error: there is no report")
    bad = run("comment", "add", rid, "--member", "RU", "--text", "x", "--opinion", "maybe")
    assert bad.exit_code != 0
    empty = run("comment", "add", rid, "--member", "RU", "--text", " ")
    assert empty.exit_code == 1 and "error: text" in empty.stderr
    assert run("comment", "list", rid, "--member", "RU").stdout.startswith("2 comment(s)")
