"""Centre products: the chair publishes a situation report holding only what every recipient may see."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner

from markaz.centre import Centre
from markaz.cli import build_app
from markaz.dissemination.outbox import fan_out
from markaz.domain.enums import Role
from markaz.governance import chair
from markaz.storage import audit
from markaz.storage.schema import audit_log, reports
from markaz.storage.schema_dissemination import deliveries, outbox
from markaz.storage.schema_views import centre_products
from tests.asgi_client import ASGIClient
from tests.conftest import Account, add_account, seat_chair

_run = itertools.count(1)


def _period() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "since": (now - timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
        "until": (now + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
    }


def _setup_chair(centre: Centre, first: str) -> Account:
    seat_chair(centre, first)
    # The first look at the clock records the term that has begun (an audited write of the
    # governance record, not of this area): done here so the tests below count only theirs.
    assert chair.current(centre).member == first
    return add_account(centre, first, Role.MEMBER_ADMIN, new_member=False)


def _submit(client: ASGIClient, account: Account, releasable_to: list[str], lon: float = 43.1) -> str:
    r = client.post(
        "/api/v1/reports",
        headers=account.headers,
        json={
            "title": "[SYNTHETIC] depot",
            "releasable_to": releasable_to,
            "observations": [
                {"category": "weapons_depot", "geometry": {"type": "Point", "coordinates": [lon, 36.3]}}
            ],
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _ids(content: dict[str, Any]) -> set[str]:
    return {row["report_id"] for rows in content["tables"].values() for row in rows}


def _counts(centre: Centre) -> tuple[int, int, int, int]:
    with centre.db.read() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (centre_products, reports, audit_log, outbox)
        )


def test_publish_reaches_the_recipients_with_only_what_all_may_see(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account]
) -> None:
    iq, ru, sy, ir = (accounts[c] for c in ("IQ", "RU", "SY", "IR"))
    admin = _setup_chair(centre, "IQ")
    shared = _submit(client, ru, ["ALL"])
    to_three = _submit(client, sy, ["IQ", "RU"], lon=43.3)  # SY + IQ + RU: every recipient sees it
    not_sy = _submit(client, ru, ["IQ"], lon=43.5)  # the chair sees it, SY does not
    own = _submit(client, iq, ["IQ"], lon=43.7)  # the chair's own, released to nobody else
    r = client.post(
        "/api/v1/products",
        headers=admin.headers,
        json={**_period(), "lang": "ar", "releasable_to": ["RU", "SY"], "precedence": "PRIORITY"},
    )
    assert r.status_code == 201, r.text
    product = r.json()
    pid = product["id"]
    assert product["recipients"] == ["IQ", "RU", "SY"] and product["published_by"] == "IQ"
    content = client.get(f"/api/v1/products/{pid}", headers=ru.headers).json()
    assert (
        content["kind"] == "centre" and content["audience"] == ["IQ", "RU", "SY"] and content["dir"] == "rtl"
    )
    assert _ids(content) == {shared, to_three}
    assert not_sy not in str(content) and own not in str(content)
    # The product is a report released to the recipients: every read path treats it like one.
    as_report = client.get(f"/api/v1/reports/{pid}", headers=sy.headers).json()
    assert as_report["originator"] == "IQ" and as_report["title"].startswith("تقرير الموقف الصادر عن المركز")
    assert "تقرير الموقف الصادر عن المركز" in as_report["body"] and as_report["observations"] == []
    html = client.get(f"/api/v1/products/{pid}", headers=sy.headers, params={"format": "html"})
    assert html.status_code == 200 and '<html lang="ar" dir="rtl">' in html.text
    pdf = client.get(f"/api/v1/products/{pid}", headers=sy.headers, params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert [p["id"] for p in client.get("/api/v1/products", headers=ru.headers).json()["items"]] == [pid]
    # IR is not a recipient: the product does not exist for it, on every path.
    assert client.get(f"/api/v1/products/{pid}", headers=ir.headers).status_code == 404
    assert client.get(f"/api/v1/reports/{pid}", headers=ir.headers).status_code == 404
    assert client.get("/api/v1/products", headers=ir.headers).json()["items"] == []
    # Disseminated as a product event to the recipients other than the chair.
    with centre.db.read() as conn:
        row = conn.execute(select(outbox).where(outbox.c.event == "product")).mappings().one()
        assert row["refs"] == [pid] and row["recipients"] == ["RU", "SY"] and row["precedence_rank"] == 2
        assert row["payload"]["kind"] == "centre_situation_report"
        assert audit.verify(conn).ok
    # The dissemination worker's fan-out turns it into one delivery per recipient.
    with centre.db.write() as conn:
        fan_out(conn, centre.db.dialect, centre.settings)
    with centre.db.read() as conn:
        delivered = conn.execute(
            select(deliveries.c.member_code, deliveries.c.event).where(deliveries.c.ref == pid)
        ).all()
    assert sorted(delivered) == [("RU", "product"), ("SY", "product")]
    inbox = client.get("/api/v1/inbox", headers=ru.headers)
    assert inbox.status_code == 200 and pid in inbox.text
    assert pid not in client.get("/api/v1/inbox", headers=ir.headers).text


@pytest.mark.parametrize(
    ("who", "body", "status", "field"),
    [
        ("RU", {"lang": "en"}, 403, None),  # not the chair
        ("IQ-analyst", {"lang": "en"}, 403, None),  # the chair's member, but an analyst
        ("IQ", {"lang": "de"}, 422, "lang"),
        ("IQ", {"releasable_to": ["XX"]}, 422, "releasable_to"),
        ("IQ", {"releasable_to": []}, 422, "releasable_to"),
        ("IQ", {"since": "2026-10-02T00:00:00Z", "until": "2026-10-01T00:00:00Z"}, 422, "since"),
        ("IQ", {"bbox": "1,2"}, 422, "bbox"),
        ("IQ", {"colour": "red"}, 422, "colour"),
        ("IQ", ["ALL"], 400, None),
    ],
)
def test_refused_publications_store_nothing(
    centre: Centre,
    client: ASGIClient,
    accounts: dict[str, Account],
    who: str,
    body: Any,
    status: int,
    field: str | None,
) -> None:
    admin = _setup_chair(centre, "IQ")
    ru_admin = add_account(centre, "RU", Role.MEMBER_ADMIN, new_member=False)
    _submit(client, accounts["RU"], ["ALL"])
    caller = {"IQ": admin, "RU": ru_admin, "IQ-analyst": accounts["IQ"]}[who]
    before = _counts(centre)
    r = client.post("/api/v1/products", headers=caller.headers, json=body)
    assert r.status_code == status, r.text
    assert r.json()["error"]["message"]
    if field is not None:
        assert r.json()["error"]["field"] == field
    assert _counts(centre) == before


release = st.one_of(st.none(), st.sets(st.integers(min_value=0, max_value=3), max_size=3))


@settings(max_examples=20)
@given(
    n_members=st.integers(min_value=2, max_value=4),
    specs=st.lists(st.tuples(st.integers(0, 3), release, st.booleans()), min_size=1, max_size=6),
    recipients=st.sets(st.integers(min_value=0, max_value=3), max_size=4),
)
def test_a_product_holds_exactly_what_every_recipient_may_see(
    centre: Centre,
    client: ASGIClient,
    n_members: int,
    specs: list[tuple[int, set[int] | None, bool]],
    recipients: set[int],
) -> None:
    run = next(_run)
    if run == 1 or not hasattr(centre, "_test_chair"):
        chair_member = f"C{run:04d}"
        add_account(centre, chair_member)
        centre._test_chair = (chair_member, _setup_chair(centre, chair_member))  # type: ignore[attr-defined]
    chair_member, chair_admin = centre._test_chair  # type: ignore[attr-defined]
    accounts = [add_account(centre, f"P{run:04d}{i}") for i in range(n_members)]
    codes = [a.member for a in accounts]
    chair_analyst = add_account(centre, chair_member, new_member=False)
    access: dict[str, set[str]] = {}
    for origin_i, rel, by_chair in specs:
        origin = chair_analyst if by_chair else accounts[origin_i % n_members]
        pool = [*codes, chair_member]
        if rel is None:
            rid = _submit(client, origin, ["ALL"])
            access[rid] = {"*"}  # every active member
        else:
            named = sorted({pool[i % len(pool)] for i in rel} | {origin.member})
            rid = _submit(client, origin, named)
            access[rid] = set(named)
    to = sorted({codes[i % n_members] for i in recipients})
    audience = {*to, chair_member}
    r = client.post(
        "/api/v1/products",
        headers=chair_admin.headers,
        json={**_period(), "releasable_to": to or [chair_member]},
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert r.json()["recipients"] == sorted(audience)
    expected = {rid for rid, who in access.items() if who == {"*"} or audience <= who}
    content = client.get(f"/api/v1/products/{pid}", headers=chair_admin.headers).json()
    assert _ids(content) & set(access) == expected
    for rid in set(access) - expected:
        assert rid not in str(content)
    for account in accounts:
        status = client.get(f"/api/v1/products/{pid}", headers=account.headers).status_code
        assert status == (200 if account.member in audience else 404)


def test_cli_product_publish_list_get(
    centre: Centre, database_url: str, client: ASGIClient, accounts: dict[str, Account]
) -> None:
    _setup_chair(centre, "IQ")
    _submit(client, accounts["RU"], ["ALL"])
    runner = CliRunner()
    period = _period()
    args = ["--since", period["since"][:19], "--until", period["until"][:19], "--database-url", database_url]
    published = runner.invoke(build_app(), ["product", "publish", "--member", "IQ", "--to", "RU", *args])
    assert published.exit_code == 0, published.output
    pid, recipients = published.stdout.strip().split("\t")
    assert recipients == "IQ, RU"
    listed = runner.invoke(build_app(), ["product", "list", "--member", "RU", "--database-url", database_url])
    assert pid in listed.stdout
    got = runner.invoke(
        build_app(), ["product", "get", pid, "--member", "RU", "--database-url", database_url]
    )
    assert got.exit_code == 0 and got.stdout.startswith("# Centre situation report")
    hidden = runner.invoke(
        build_app(), ["product", "get", pid, "--member", "SY", "--database-url", database_url]
    )
    assert hidden.exit_code == 1 and hidden.stderr.strip() == f"error: there is no product {pid}"
    refused = runner.invoke(build_app(), ["product", "publish", "--member", "RU", *args])
    assert (
        refused.exit_code == 1
        and "error: only the member that chairs the centre today (IQ)" in refused.stderr
    )
