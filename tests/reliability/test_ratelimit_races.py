"""Races in the shared rate limiter that the load benchmark found: no refusal while under the limit."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection

from markaz.centre import Centre
from markaz.security.ratelimit import RateLimiter


@contextmanager
def _slow_writes(centre: Centre, seconds: float) -> Iterator[None]:
    """Every write transaction holds on for `seconds`, like a busy database under load."""
    original = centre.db.write

    @contextmanager
    def slow() -> Iterator[Connection]:
        with original() as conn:
            yield conn
            time.sleep(seconds)

    centre.db.write = slow  # type: ignore[method-assign]
    try:
        yield
    finally:
        centre.db.write = original  # type: ignore[method-assign]


def _together(*calls: Any) -> list[bool]:
    """Run the calls in threads, each started 50 ms after the one before; their results."""
    results: list[bool] = [False] * len(calls)

    def run(i: int) -> None:
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join(10)
    return results


@pytest.mark.parametrize("processes", [1, 4])
def test_concurrent_first_requests_of_a_token_are_both_admitted(centre: Centre, processes: int) -> None:
    limiter = RateLimiter(centre.db, 100, processes=processes, sync_seconds=60)
    with _slow_writes(centre, 0.3):
        # The second request arrives while the first one's reservation is being written.
        results = _together(lambda: limiter.hit("t").allowed, lambda: limiter.hit("t").allowed)
    assert results == [True, True]


def test_a_lease_being_handed_back_is_not_counted_as_used(centre: Centre) -> None:
    now = [1_000_020.0]
    limiter = RateLimiter(centre.db, 100, processes=1, sync_seconds=1, clock=lambda: now[0])
    assert limiter.hit("t").allowed  # this process now holds the whole window as its lease
    now[0] += 2  # idle for longer than the sync interval: the next sweep hands the lease back
    with _slow_writes(centre, 0.3):
        # Another token's request sweeps (slowly); meanwhile "t" asks again.
        results = _together(lambda: limiter.hit("other").allowed, lambda: limiter.hit("t").allowed)
    assert results == [True, True]


def test_many_threads_under_the_limit_are_never_refused(centre: Centre) -> None:
    # Short sync interval and slow writes: leases are handed back and taken again all the
    # time while other threads wait for the database, as under the load benchmark.
    limiter = RateLimiter(centre.db, 100_000, processes=1, sync_seconds=0.05)
    refused: list[str] = []
    rng = random.Random(7)
    pauses = [[rng.uniform(0, 0.08) for _ in range(20)] for _ in range(8)]

    def client(n: int) -> None:
        for i, pause in enumerate(pauses[n]):
            key = f"token-{(n + i) % 3}"
            if not limiter.hit(key).allowed:
                refused.append(key)
            time.sleep(pause)

    with _slow_writes(centre, 0.02):
        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert refused == []


def test_a_request_that_waited_into_the_next_window_counts_there(centre: Centre) -> None:
    now = [1_000_000.0 * 60 + 59.9]  # 0.1 s before a window ends
    limiter = RateLimiter(centre.db, 100, processes=1, sync_seconds=60, clock=lambda: now[0])
    assert limiter.hit("t").allowed  # the whole window is this process's lease now
    limiter._counters.clear()  # as if swept at the window's end: that lease is gone with it
    results: list[bool] = []
    # Another reservation holds the lock while the window ends; this request waits for it.
    with limiter._db_lock:
        waiting = threading.Thread(target=lambda: results.append(limiter.hit("t").allowed))
        waiting.start()
        time.sleep(0.2)
        now[0] = 1_000_000.0 * 60 + 60.5
    waiting.join(10)
    assert results == [True]


def test_a_sweep_that_waited_into_the_next_window_keeps_its_leases(centre: Centre) -> None:
    start = 1_000_000.0 * 60
    now = [start + 60.5]  # just inside a new window
    limiter = RateLimiter(centre.db, 100, processes=1, sync_seconds=1, clock=lambda: now[0])
    assert limiter.hit("t").allowed  # this process holds the new window's lease
    # A sweep that became due in the window before and waited for the lock while the window
    # turned: it reads the clock itself, under the lock, so it sees the new window.
    limiter._last_sweep = start + 58
    limiter._sweep()
    assert all(limiter.hit("t").allowed for _ in range(50))
