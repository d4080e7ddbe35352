"""Kill -9 a serving process mid-window: its share of the rate limit comes back before the window ends."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from markaz.centre import Centre
from markaz.security.ratelimit import LEASE_SYNCS, WINDOW_SECONDS
from tests.conftest import add_account
from tests.reliability import _processes as procs

LIMIT = 120
SYNC = 0.5


def _hammer(base: str, headers: dict[str, str], until_refused: bool, at_most: int) -> tuple[int, int]:
    """GET /api/v1/me up to `at_most` times (stopping at the first 429 if asked): (admitted, refused)."""
    admitted = refused = 0
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        for _ in range(at_most):
            status = http.get("/api/v1/me").status_code
            assert status in (200, 429), status
            admitted += status == 200
            refused += status == 429
            if status == 429 and until_refused:
                break
    return admitted, refused


def _scenario(database_url: str, log_dir: Path, headers: dict[str, str], env: dict[str, str]) -> int | None:
    """Admitted by both processes together in one window, or None when the window ended."""
    first = procs.serve(database_url, log_dir / "first.log", env=env, wait=False)
    second = procs.serve(database_url, log_dir / "second.log", env=env, wait=False)
    try:
        procs.wait_until_serving(first)
        procs.wait_until_serving(second)
        while time.time() % WINDOW_SECONDS > 40:  # at least 20 s of the window left
            time.sleep(0.2)
        window = int(time.time() // WINDOW_SECONDS)
        # The first process admits 40, then one more after a sync interval (its sweep hands
        # the 40 back as used and takes a new lease of the rest: the whole window again).
        assert _hammer(first.base, headers, False, 40) == (40, 0)
        time.sleep(SYNC * 1.2)
        assert _hammer(first.base, headers, False, 1) == (1, 0)
        first.kill9()
        # Its lease (the rest of the window) is still counted: the second process refuses...
        assert _hammer(second.base, headers, True, 1) == (0, 1)
        # ...until the lease expires, LEASE_SYNCS sync intervals after it was taken.
        deadline = time.monotonic() + LEASE_SYNCS * SYNC + 5
        admitted = 0
        while admitted == 0:
            assert time.monotonic() < deadline, "the killed process's share never came back"
            admitted, _ = _hammer(second.base, headers, True, 1)
            time.sleep(0.1)
        more, refused = _hammer(second.base, headers, True, LIMIT)
        assert refused == 1
        if int(time.time() // WINDOW_SECONDS) != window:
            return None
        return 41 + admitted + more
    finally:
        for running in (first, second):
            if running.proc.poll() is None:
                running.stop()


@pytest.mark.slow
def test_a_killed_process_share_is_reclaimed(centre: Centre, database_url: str, tmp_path: Path) -> None:
    # One API process expected: the first request reserves the whole window for the process
    # that serves it, the worst case for a kill.
    env = {
        "MARKAZ_RATE_LIMIT_PER_MINUTE": str(LIMIT),
        "MARKAZ_RATE_LIMIT_PROCESSES": "1",
        "MARKAZ_RATE_LIMIT_SYNC_SECONDS": str(SYNC),
    }
    # A busy machine may outlast the window: then again, with a fresh token and processes.
    for attempt in range(3):
        account = add_account(centre, "IQ", new_member=attempt == 0)
        (tmp_path / str(attempt)).mkdir()
        total = _scenario(database_url, tmp_path / str(attempt), account.headers, env)
        if total is not None:
            break
    else:
        pytest.fail("three one-minute windows ended before the scenario did")
    # The first process's 40 were handed back as used; its 41st was admitted from the new
    # lease and never reported before the kill, so the window admits it beyond the limit:
    # the one excess docs/security.md describes. The rest of the window (80) went to the
    # second process once the dead lease expired.
    assert total == LIMIT + 1, total
