"""Webhook push on both engines: recipients, signed payloads, retries, dead letters, receipt."""

from __future__ import annotations

from sqlalchemy import select

from markaz.centre import Centre
from markaz.dissemination.worker import run_until_idle
from markaz.storage.schema_dissemination import deliveries, pushes
from tests.conftest import add_account
from tests.dissemination.conftest import hook, point, submit
from tests.dissemination.receiver import receiving

SECRETS = {code: f"secret-of-{code.lower()}-0123456789" for code in ("IQ", "RU", "SY", "IR")}


def test_released_members_receive_signed_payloads(fast: Centre) -> None:
    accounts = {code: add_account(fast, code) for code in ("IQ", "RU", "SY", "IR")}
    with receiving(SECRETS["RU"]) as ru, receiving(SECRETS["SY"]) as sy, receiving(SECRETS["IR"]) as ir:
        for code, r in (("RU", ru), ("SY", sy), ("IR", ir)):
            hook(fast, code, r.url, SECRETS[code])
        rid = submit(
            fast,
            accounts["IQ"].principal,
            title="convoy",
            precedence="ROUTINE",
            releasable_to=["RU", "SY"],
            observations=[point(40.1, 35.3)],
        )
        assert run_until_idle(fast, timeout=30)
        assert ru.bad_signatures == sy.bad_signatures == 0
        (got,) = ru.unique.values()
        assert set(got) == {"delivery_id", "precedence", "event", "report", "at"}
        assert got["event"] == "report" and got["precedence"] == "ROUTINE"
        assert got["report"]["id"] == rid and got["report"]["title"] == "convoy"
        # Originator-only fields are not sent to recipients.
        assert got["report"]["client_ref"] is None and got["report"]["recipients"] is None
        assert [p["report"]["id"] for p in sy.unique.values()] == [rid]
        assert ir.received == []
    with fast.db.read() as conn:
        rows = conn.execute(select(deliveries).order_by(deliveries.c.member_code)).mappings().all()
    assert [(r["member_code"], r["received_via"]) for r in rows] == [("RU", "webhook"), ("SY", "webhook")]
    assert all(r["received_at"] is not None and r["acknowledged_at"] is None for r in rows)


def test_failures_are_retried_then_dead_lettered(fast: Centre) -> None:
    iq = add_account(fast, "IQ")
    add_account(fast, "RU")
    add_account(fast, "SY")
    with receiving(SECRETS["RU"], fail_first=2) as flaky, receiving(SECRETS["SY"], status=500) as broken:
        hook(fast, "RU", flaky.url, SECRETS["RU"])
        hook(fast, "SY", broken.url, SECRETS["SY"])
        submit(fast, iq.principal, precedence="IMMEDIATE")
        assert run_until_idle(fast, timeout=30)
        assert len(flaky.unique) == 1
    with fast.db.read() as conn:
        states = {
            r.member_code: (r.state, r.attempts, r.last_status)
            for r in conn.execute(
                select(pushes.c.member_code, pushes.c.state, pushes.c.attempts, pushes.c.last_status)
            )
        }
    # The flaky endpoint answered 503 twice, then 200; the broken one used up its 3 attempts.
    assert states == {"RU": ("done", 3, 200), "SY": ("dead", 3, 500)}


def test_unreachable_endpoint_does_not_hold_back_others(fast: Centre) -> None:
    iq = add_account(fast, "IQ")
    add_account(fast, "RU")
    add_account(fast, "SY")
    hook(fast, "SY", "http://127.0.0.1:9/nothing-listens-here", SECRETS["SY"])
    with receiving(SECRETS["RU"]) as good:
        hook(fast, "RU", good.url, SECRETS["RU"])
        for _ in range(5):
            submit(fast, iq.principal, precedence="FLASH")
        assert run_until_idle(fast, timeout=30)
        assert len(good.unique) == 5
