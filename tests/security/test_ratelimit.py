"""Per-token rate limits: shared by several processes through the database, 429 with Retry-After."""

from __future__ import annotations

import uuid
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.asgi_client import asgi_client
from tests.conftest import Account

from markaz.app import create_app
from markaz.centre import Centre
from markaz.security.ratelimit import WINDOW_SECONDS, RateLimiter
from markaz.storage.database import Database


class Clock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@settings(max_examples=5)
@given(
    order=st.lists(st.integers(min_value=0, max_value=2), min_size=200, max_size=200),
    limit=st.integers(min_value=1, max_value=60),
)
def test_processes_share_one_limit(centre: Centre, order: list[int], limit: int) -> None:
    """Three 'processes' (three limiters, three engines on one database) hitting one token in a
    generated order admit exactly the limit in a window, never more."""
    clock = Clock()
    # A key of its own per example: the examples share the test's database.
    key, other = f"token:{uuid.uuid4().hex}", f"token:{uuid.uuid4().hex}"
    dbs = [Database(centre.settings.database_url) for _ in range(3)]
    try:
        limiters = [RateLimiter(db, limit, processes=3, sync_seconds=3600, clock=clock) for db in dbs]
        admitted = sum(limiters[i].hit(key).allowed for i in order)
        # Keep asking everyone until all refuse: the total is what the window admitted.
        for _ in range(limit + 3):
            admitted += sum(lim.hit(key).allowed for lim in limiters)
        assert admitted == limit
        refused = limiters[0].hit(key)
        assert not refused.allowed and 1 <= refused.retry_after <= WINDOW_SECONDS
        # Another token is not affected, and the next window starts afresh.
        assert limiters[1].hit(other).allowed
        clock.now += WINDOW_SECONDS
        assert limiters[2].hit(key).allowed
    finally:
        for db in dbs:
            db.dispose()


def test_one_process_counts_exactly_between_reconciliations(centre: Centre) -> None:
    clock = Clock()
    limiter = RateLimiter(centre.db, 100, processes=4, sync_seconds=3600, clock=clock)
    assert sum(limiter.hit("token:7").allowed for _ in range(150)) == 100
    # A few reconciliations (each share is a quarter of what is left), not one per request.
    assert limiter.reconciliations < 30


def test_api_answers_429_with_retry_after(centre: Centre, accounts: dict[str, Account]) -> None:
    settings_ = centre.settings.model_copy(update={"rate_limit_per_minute": 5})
    with asgi_client(create_app(settings_, centre)) as client:
        iq, sy = accounts["IQ"].headers, accounts["SY"].headers
        answers = [client.get("/api/v1/me", headers=iq) for _ in range(6)]
        assert [a.status_code for a in answers[:5]] == [200] * 5
        refused = answers[5]
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["retry-after"]) <= WINDOW_SECONDS
        assert client.get("/api/v1/me", headers=sy).status_code == 200
        # A write is refused the same way and stores nothing.
        posted = client.post("/api/v1/reports", headers=iq, json={"title": "x"})
        assert posted.status_code == 429
        assert client.get("/api/v1/reports", headers=sy).json()["items"] == []


def test_idle_leases_are_handed_back(centre: Centre) -> None:
    clock = Clock()
    a = RateLimiter(centre.db, 40, processes=4, sync_seconds=1.0, clock=clock)
    b = RateLimiter(centre.db, 40, processes=4, sync_seconds=1.0, clock=clock)
    assert a.hit("token:9").allowed  # a reserves a quarter (10) and uses one
    assert sum(b.hit("token:9").allowed for _ in range(100)) == 30
    clock.now += 1.5
    a.hit("token:other")  # a's next request hands back its idle lease of 9
    clock.now += 0.1
    assert sum(b.hit("token:9").allowed for _ in range(100)) == 9


def test_without_the_database_a_process_admits_one_share_per_interval(tmp_path: Path) -> None:
    clock = Clock()
    broken = Database(f"sqlite:///{tmp_path}/not-migrated.db")  # no rate_windows table
    try:
        limiter = RateLimiter(broken, 100, processes=4, sync_seconds=1.0, clock=clock)
        assert sum(limiter.hit("token:1").allowed for _ in range(200)) == 25
        clock.now += 1.0
        assert sum(limiter.hit("token:1").allowed for _ in range(200)) == 25
    finally:
        broken.dispose()


def test_limit_zero_turns_it_off(centre: Centre) -> None:
    limiter = RateLimiter(centre.db, 0)
    assert all(limiter.hit("token:1").allowed for _ in range(1000))
    assert limiter.reconciliations == 0


def _rows(centre: Centre, key: str) -> tuple[int, list[tuple[str, int, int]]]:
    """(settled count, [(holder, reserved, used)]) of `key`'s current window rows."""
    from sqlalchemy import select

    from markaz.storage.schema_security import rate_leases, rate_windows

    with centre.db.read() as conn:
        count = conn.execute(select(rate_windows.c.count).where(rate_windows.c.key == key)).scalar() or 0
        leases = conn.execute(
            select(rate_leases.c.holder, rate_leases.c.reserved, rate_leases.c.used).where(
                rate_leases.c.key == key
            )
        ).all()
    return int(count), [tuple(r) for r in leases]


def test_a_dead_process_lease_is_reclaimed_after_it_expires(centre: Centre) -> None:
    clock = Clock(1_800_000_000.0)  # the start of a window
    dead = RateLimiter(centre.db, 100, processes=1, sync_seconds=1.0, clock=clock)
    alive = RateLimiter(centre.db, 100, processes=1, sync_seconds=1.0, clock=clock)
    # The first process takes the whole window (one process expected) and keeps using it.
    assert sum(dead.hit("token:k").allowed for _ in range(20)) == 20
    clock.now += 0.6
    assert sum(dead.hit("token:k").allowed for _ in range(10)) == 10
    clock.now += 0.6  # its next request reports 30 used and renews the lease (sweep)
    assert dead.hit("token:k").allowed
    assert _rows(centre, "token:k") == (0, [(dead.holder, 100, 30)])
    # Then it is killed: nothing more is reported. Until its lease expires (three sync
    # intervals after the last renewal) the other process is refused: it may still be alive.
    del dead
    assert not alive.hit("token:k").allowed
    clock.now += 2.5
    assert not alive.hit("token:k").allowed
    # Expired: what it reported (30) is settled for good, the rest of its share is free.
    clock.now += 1.0
    admitted = sum(alive.hit("token:k").allowed for _ in range(200))
    assert admitted == 70
    count, leases = _rows(centre, "token:k")
    assert count == 30 and leases == [(alive.holder, 70, 70)]  # reported when it asked for more
    # The one request admitted after the dead process's last report is the only excess
    # (docs/security.md): 31 + 70 = limit + 1.


def test_a_quiet_process_whose_lease_was_reclaimed_settles_later(centre: Centre) -> None:
    clock = Clock(1_800_000_000.0)
    quiet = RateLimiter(centre.db, 100, processes=2, sync_seconds=1.0, clock=clock)
    other = RateLimiter(centre.db, 100, processes=2, sync_seconds=1.0, clock=clock)
    assert sum(quiet.hit("token:q").allowed for _ in range(5)) == 5  # share 50, 5 used, unreported
    clock.now += 0.2
    assert sum(quiet.hit("token:q").allowed for _ in range(5)) == 5
    clock.now += 3.5  # no request reaches `quiet` for longer than a lease: `other` reclaims it
    assert sum(other.hit("token:q").allowed for _ in range(200)) == 100
    # `quiet` is alive after all: its next request settles its 10 unreported requests and,
    # the window being used up, is refused; it never admitted from the reclaimed lease.
    assert not quiet.hit("token:q").allowed
    count, _leases = _rows(centre, "token:q")
    assert count == 10  # `other`'s 100 are in its own lease row until it hands it back
    clock.now += 1.5
    other.hit("token:elsewhere")  # `other`'s sweep hands its idle lease on token:q back
    assert _rows(centre, "token:q")[0] == 110


def test_no_excess_when_every_process_reports(centre: Centre) -> None:
    """Leases renewed, handed back and reclaimed in turn: exactly the limit, no more."""
    clock = Clock(1_800_000_000.0)
    limiters = [RateLimiter(centre.db, 90, processes=3, sync_seconds=1.0, clock=clock) for _ in range(3)]
    admitted = 0
    for step in range(40):
        for n, limiter in enumerate(limiters):
            if (step + n) % 3:
                admitted += sum(limiter.hit("token:r").allowed for _ in range(2))
        clock.now += 0.4
    for _ in range(10):  # everyone's leases expire or are handed back; the window's rest is taken
        clock.now += 1.1
        for limiter in limiters:
            admitted += sum(limiter.hit("token:r").allowed for _ in range(100))
    assert admitted == 90
