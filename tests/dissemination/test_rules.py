"""The rules of who receives what and when: subscriptions, corrections, retractions, suspension,
escalation past the handling-time objective, dead letters re-sent, products through enqueue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from markaz.centre import Centre
from markaz.collection import intake
from markaz.dissemination import areas, escalation, outbox
from markaz.dissemination.worker import run_until_idle
from markaz.domain.enums import MemberStatus, Role
from markaz.domain.models import ReportCorrection
from markaz.errors import InvalidInput
from markaz.storage.audit import verify
from markaz.storage.members import set_member_status
from markaz.storage.schema_dissemination import deliveries
from tests.asgi_client import asgi_client
from tests.conftest import add_account, seat_chair
from tests.dissemination.conftest import hook, point, submit
from tests.dissemination.receiver import receiving

SECRET = "rules-test-secret-0123456789"


def _delivered(centre: Centre) -> set[tuple[str, str, str]]:
    with centre.db.read() as conn:
        return {(r.member_code, r.ref, r.event) for r in conn.execute(select(deliveries))}


def _subscribe(centre: Centre, member: str, **body: object) -> None:
    from markaz.dissemination.channels import create_subscription

    admin = add_account(centre, member, Role.MEMBER_ADMIN, new_member=False)
    create_subscription(centre, admin.principal, {"name": "interest", **body})


def test_subscriptions_corrections_and_retractions(centre: Centre) -> None:
    iq, ru, sy, ir = (add_account(centre, c) for c in ("IQ", "RU", "SY", "IR"))
    # RU wants the north only; SY wants gatherings; IR has no subscription (everything).
    _subscribe(
        centre,
        "RU",
        polygon={"type": "Polygon", "coordinates": [[[40, 36], [44, 36], [44, 38], [40, 38], [40, 36]]]},
    )
    _subscribe(centre, "SY", categories=["gathering"], min_precedence="PRIORITY")
    north = submit(centre, iq.principal, precedence="ROUTINE", observations=[point(42, 37)])
    south_gathering = submit(
        centre, iq.principal, precedence="PRIORITY", observations=[point(42, 33, "gathering")]
    )
    routine_gathering = submit(
        centre, iq.principal, precedence="ROUTINE", observations=[point(42, 33, "gathering")]
    )
    flash_south = submit(centre, iq.principal, precedence="FLASH", observations=[point(42, 33)])
    assert run_until_idle(centre, timeout=30)
    first = _delivered(centre)
    assert first == {
        ("RU", north, "report"),
        ("IR", north, "report"),
        ("SY", south_gathering, "report"),
        ("IR", south_gathering, "report"),
        ("IR", routine_gathering, "report"),
        ("RU", flash_south, "report"),
        ("SY", flash_south, "report"),
        ("IR", flash_south, "report"),
    }
    # The correction moves the north report south: RU still receives it (it had the original).
    fixed = intake.correct(
        centre,
        iq.principal,
        north,
        ReportCorrection.model_validate(
            {
                "title": "moved",
                "precedence": "ROUTINE",
                "releasable_to": ["ALL"],
                "observations": [point(42, 33)],
            }
        ),
    )
    intake.retract(centre, iq.principal, south_gathering, "wrong place")
    assert run_until_idle(centre, timeout=30)
    new = _delivered(centre) - first
    assert new == {
        ("RU", fixed, "correction"),
        ("IR", fixed, "correction"),
        ("SY", south_gathering, "retraction"),
        ("IR", south_gathering, "retraction"),
    }
    del ru, sy, ir


def test_suspended_member_receives_nothing_until_reinstated(fast: Centre) -> None:
    iq, ru, sy = (add_account(fast, c) for c in ("IQ", "RU", "SY"))
    with receiving(SECRET) as ru_hook, receiving(SECRET) as sy_hook:
        hook(fast, "RU", ru_hook.url, SECRET)
        hook(fast, "SY", sy_hook.url, SECRET)
        with fast.db.write() as conn:
            set_member_status(conn, fast.db.dialect, "SY", MemberStatus.SUSPENDED, actor="test")
        while_suspended = submit(fast, iq.principal, precedence="FLASH")
        assert run_until_idle(fast, timeout=30)
        assert [r["report"]["id"] for r in ru_hook.received] == [while_suspended]
        assert sy_hook.received == []
        # Queued for SY while it was active, pushed only after reinstatement.
        with fast.db.write() as conn:
            set_member_status(conn, fast.db.dialect, "SY", MemberStatus.ACTIVE, actor="test")
        before = submit(fast, iq.principal, precedence="IMMEDIATE")
        with fast.db.write() as conn:
            # Fanned out while SY is active, so a push to SY waits in the queue ...
            assert outbox.fan_out(conn, fast.db.dialect, fast.settings).deliveries == 2
            # ... and SY is suspended before any worker sends it.
            set_member_status(conn, fast.db.dialect, "SY", MemberStatus.SUSPENDED, actor="test")
        run_until_idle(fast, timeout=2)
        assert sy_hook.received == []
        with asgi_client(_app(fast)) as client:
            assert client.get("/api/v1/inbox", headers=sy.headers).status_code == 403
            assert client.get("/api/v1/stream?timeout=0.1", headers=sy.headers).status_code == 403
        with fast.db.write() as conn:
            set_member_status(conn, fast.db.dialect, "SY", MemberStatus.ACTIVE, actor="test")
        assert run_until_idle(fast, timeout=30)
        assert [r["report"]["id"] for r in sy_hook.received] == [before]
    del ru


def test_unacknowledged_past_objective_is_escalated_and_resent(fast: Centre) -> None:
    iq = add_account(fast, "IQ")
    ru = add_account(fast, "RU")
    seat_chair(fast)
    chair_admin = add_account(fast, "IQ", Role.MEMBER_ADMIN, new_member=False)
    with receiving(SECRET) as ru_hook:
        hook(fast, "RU", ru_hook.url, SECRET)
        rid = submit(fast, iq.principal, precedence="FLASH", releasable_to=["RU"])
        assert run_until_idle(fast, timeout=30)
        assert len(ru_hook.received) == 1
        later = datetime.now(UTC) + timedelta(minutes=11)
        with fast.db.write() as conn:
            assert escalation.escalate(conn, fast.db.dialect, fast.settings, now=later) == 1
            # Not again until another objective has passed.
            assert escalation.escalate(conn, fast.db.dialect, fast.settings, now=later) == 0
        assert run_until_idle(fast, timeout=30)
        # Re-sent with the same delivery id: a receiver that deduplicates keeps one.
        assert len(ru_hook.received) == 2 and len(ru_hook.unique) == 1
    with asgi_client(_app(fast)) as client:
        board = client.get("/api/v1/deliveries", headers=chair_admin.headers).json()["items"]
        assert [(b["report_id"], b["escalations"]) for b in board] == [(rid, 1)]
        (item,) = client.get("/api/v1/inbox", headers=ru.headers).json()["items"]
        assert item["escalations"] == 1
        acked = client.post(f"/api/v1/deliveries/{item['delivery_id']}/ack", headers=ru.headers).json()
        assert acked["state"] == "acknowledged"
    with fast.db.write() as conn:
        assert escalation.escalate(conn, fast.db.dialect, fast.settings, now=later + timedelta(hours=1)) == 0
    with fast.db.read() as conn:
        assert verify(conn).ok


def test_dead_letter_is_visible_and_resent(fast: Centre) -> None:
    iq = add_account(fast, "IQ")
    add_account(fast, "RU")
    admin = add_account(fast, "RU", Role.MEMBER_ADMIN, new_member=False)
    with receiving(SECRET, status=500) as ru_hook:
        hook(fast, "RU", ru_hook.url, SECRET)
        submit(fast, iq.principal, precedence="PRIORITY", releasable_to=["RU"])
        assert run_until_idle(fast, timeout=30)
        with asgi_client(_app(fast)) as client:
            (dead,) = client.get("/api/v1/deliveries?state=dead", headers=admin.headers).json()["items"]
            assert dead["dead_letter"] and dead["pushes"][0]["last_status"] == 500
            ru_hook.status = 200
            r = client.post(f"/api/v1/deliveries/{dead['delivery_id']}:resend", headers=admin.headers)
            assert r.status_code == 200 and r.json()["resends"] == 1
            assert run_until_idle(fast, timeout=30)
            assert len(ru_hook.unique) == 1
            assert client.get("/api/v1/deliveries?state=dead", headers=admin.headers).json()["items"] == []
            other = add_account(fast, "SY", Role.MEMBER_ADMIN)
            assert (
                client.post(
                    f"/api/v1/deliveries/{dead['delivery_id']}:resend", headers=other.headers
                ).status_code
                == 404
            )
    with fast.db.read() as conn:
        assert verify(conn).ok


def test_products_and_notifications_through_enqueue(fast: Centre) -> None:
    add_account(fast, "IQ")
    add_account(fast, "RU")
    add_account(fast, "SY")
    with receiving(SECRET) as ru_hook, receiving(SECRET) as sy_hook:
        hook(fast, "RU", ru_hook.url, SECRET)
        hook(fast, "SY", sy_hook.url, SECRET)
        with fast.db.write() as conn:
            outbox.enqueue(
                conn,
                fast.db.dialect,
                event="product",
                report_id="sitrep-2026-11-24",
                precedence="PRIORITY",
                recipients=["RU", "NOPE"],
                payload={"kind": "sitrep", "title": "[SYNTHETIC] daily"},
            )
        assert run_until_idle(fast, timeout=30)
    (got,) = ru_hook.received
    assert got["event"] == "product" and got["report"] == {"kind": "sitrep", "title": "[SYNTHETIC] daily"}
    assert sy_hook.received == []
    with fast.db.write() as conn:
        for bad in ({"event": "gossip"}, {"precedence": "URGENT"}, {"recipients": None}):
            args = {"event": "product", "precedence": "FLASH", "recipients": ["RU"], **bad}
            try:
                outbox.enqueue(conn, fast.db.dialect, report_id="x", **args)  # type: ignore[arg-type]
            except InvalidInput:
                continue
            raise AssertionError(bad)


def test_areas_meet_geometries() -> None:
    ring = ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0), (0.0, 0.0))
    assert areas.geometry_meets_ring({"type": "Point", "coordinates": [5, 5]}, ring)
    assert areas.geometry_meets_ring({"type": "Point", "coordinates": [10, 5]}, ring)  # on the edge
    assert not areas.geometry_meets_ring({"type": "Point", "coordinates": [11, 5]}, ring)
    assert areas.geometry_meets_ring(
        {"type": "LineString", "coordinates": [[-5, 5], [15, 5]]}, ring
    )  # crosses
    assert not areas.geometry_meets_ring({"type": "LineString", "coordinates": [[-5, 15], [15, 15]]}, ring)
    around = {"type": "Polygon", "coordinates": [[[-1, -1], [11, -1], [11, 11], [-1, 11], [-1, -1]]]}
    assert areas.geometry_meets_ring(around, ring)  # contains the whole area
    triangle = ((0.0, 0.0), (10.0, 0.0), (0.0, 10.0), (0.0, 0.0))
    assert not areas.geometry_meets_ring({"type": "Point", "coordinates": [8, 8]}, triangle)


def _app(centre: Centre) -> object:
    from markaz.app import create_app

    return create_app(centre.settings, centre)
