"""Per-token request rate limits shared by every API process, without a database write per request.

Fixed windows of 60 s, counted in the table `rate_windows` as *reservations*: a process
takes a lease of requests for a token (its share of what is left in the window,
`remaining / MARKAZ_RATE_LIMIT_PROCESSES`, at least one) in one short write transaction and
then admits from the lease in memory. When the lease is used up it takes another; leases a
process stops using are handed back after MARKAZ_RATE_LIMIT_SYNC_SECONDS of idleness. A
token can therefore never make more requests than the limit in a window, whichever
processes its requests reach, and the database sees a few writes per token per window
instead of one per request (measured in bench/ratelimit.py; trade-offs in docs/security.md).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from markaz.errors import MarkazError
from markaz.storage.database import Database
from markaz.storage.schema_security import rate_windows

WINDOW_SECONDS = 60
log = logging.getLogger("markaz.security")


class RateLimited(MarkazError):
    """Too many requests for this token in this window; `headers` carries Retry-After."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window ends; meaningful when refused


@dataclass
class _Counter:
    window: int
    lease: int = 0  # requests reserved in the database and not yet used by this process
    last_hit: float = 0.0
    full_until: float = 0.0  # the window was fully reserved when last asked; ask again after


class RateLimiter:
    """One per API process. `hit(key)` counts a request and says whether it may proceed."""

    def __init__(
        self,
        db: Database,
        limit_per_window: int,
        *,
        processes: int = 4,
        sync_seconds: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.limit = limit_per_window
        self.processes = max(1, processes)
        self.sync_seconds = sync_seconds
        self.clock = clock
        self._counters: dict[str, _Counter] = {}
        self._failed: dict[str, tuple[int, float]] = {}  # key -> (window, time) of a failed reservation
        self._lock = threading.Lock()
        self._db_lock = threading.Lock()
        self._last_sweep = clock()
        self.reconciliations = 0  # database transactions this limiter made

    def check(self, key: str) -> None:
        """hit(key), raising RateLimited (429 with Retry-After) when the request is refused."""
        decision = self.hit(key)
        if not decision.allowed:
            raise RateLimited(
                f"too many requests: this token may make {decision.limit} per minute; "
                f"retry after {decision.retry_after} s",
                decision.retry_after,
            )

    def hit(self, key: str) -> Decision:
        if self.limit <= 0:
            return Decision(True, 0, 0, 0)
        now = self.clock()
        window = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
        retry_after = max(1, math.ceil(window + WINDOW_SECONDS - now))
        if now - self._last_sweep >= self.sync_seconds:
            self._sweep(now, window)
        with self._lock:
            counter = self._counters.get(key)
            if counter is None or counter.window != window:
                counter = self._counters[key] = _Counter(window)
            counter.last_hit = now
            if counter.lease > 0:
                counter.lease -= 1
                return Decision(True, self.limit, counter.lease, retry_after)
            if counter.full_until > now:
                return Decision(False, self.limit, 0, retry_after)
        # One reservation at a time in this process, and the lease looked at again once it is
        # our turn: a request that waited while another thread reserved for the same token
        # uses that lease instead of finding the window "full" (with one process, the first
        # reservation takes the whole window). Found by bench/load.py (tests/reliability).
        # The counter is looked up again: a sweep may have dropped the one found above while
        # this request waited, and a lease added to a dropped counter would be lost (with one
        # process: the whole window, and the token refused until it ends).
        # The clock is read again too: waiting may have crossed into the next window, and a
        # reservation for the window that ended finds it used up (the 429 would be wrong).
        with self._db_lock:
            now = self.clock()
            window = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
            retry_after = max(1, math.ceil(window + WINDOW_SECONDS - now))
            with self._lock:
                counter = self._counters.get(key)
                if counter is None or counter.window != window:
                    counter = self._counters[key] = _Counter(window)
                counter.last_hit = now
                if counter.lease > 0:
                    counter.lease -= 1
                    return Decision(True, self.limit, counter.lease, retry_after)
            granted = self._reserve(key, window)
            with self._lock:
                if granted > 0:
                    counter.lease += granted - 1
                    return Decision(True, self.limit, counter.lease, retry_after)
                counter.full_until = now + self.sync_seconds
                return Decision(False, self.limit, 0, retry_after)

    def _share(self, remaining: int) -> int:
        return max(1, remaining // self.processes) if remaining > 0 else 0

    def _reserve(self, key: str, window: int) -> int:
        """Take this process's share of what is left of `key`'s window; 0 if nothing is."""
        table = rate_windows
        insert = postgresql.insert if self.db.dialect.name == "postgresql" else sqlite.insert
        where = (table.c.key == key) & (table.c.window_start == window)
        try:
            with self.db.write() as conn:  # the caller holds self._db_lock
                self.reconciliations += 1
                conn.execute(
                    insert(table)
                    .values(key=key, window_start=window, count=0)
                    .on_conflict_do_nothing(index_elements=[table.c.key, table.c.window_start])
                )
                query = select(table.c.count).where(where)
                if self.db.dialect.name == "postgresql":
                    query = query.with_for_update()
                used = int(conn.execute(query).scalar_one())
                granted = self._share(self.limit - used)
                if granted:
                    conn.execute(update(table).where(where).values(count=table.c.count + granted))
                return granted
        except SQLAlchemyError:
            # The limit must not take the API down with it: without the database, this
            # process admits one share per token per sync interval on its own.
            log.warning("rate-limit reservation failed", exc_info=True)
            now = self.clock()
            failed = self._failed.get(key)
            if failed is not None and failed[0] == window and now - failed[1] < self.sync_seconds:
                return 0
            self._failed[key] = (window, now)
            return self._share(self.limit)

    def _sweep(self, now: float, window: int) -> None:
        """Hand back leases idle for a sync interval, so other processes can use them."""
        # Holding the reservation lock from collecting to committing: no reservation in this
        # process can see the window while a lease it forgot is still counted as used.
        with self._db_lock:
            # Read the clock again: a sweep that waited into the next window would otherwise
            # drop that window's leases as "old" without handing them back.
            now = self.clock()
            self._sweep_locked(now, int(now // WINDOW_SECONDS) * WINDOW_SECONDS)

    def _sweep_locked(self, now: float, window: int) -> None:
        with self._lock:
            if now - self._last_sweep < self.sync_seconds:
                return
            self._last_sweep = now
            idle = [
                (k, c)
                for k, c in self._counters.items()
                if c.window != window or now - c.last_hit >= self.sync_seconds
            ]
            returns = [
                {"k": k, "w": c.window, "n": c.lease} for k, c in idle if c.lease and c.window == window
            ]
            for k, _c in idle:
                del self._counters[k]
        try:
            with self.db.write() as conn:
                self.reconciliations += 1
                if returns:
                    table = rate_windows
                    conn.execute(
                        update(table)
                        .where(table.c.key == bindparam("k"), table.c.window_start == bindparam("w"))
                        .values(count=table.c.count - bindparam("n")),
                        returns,
                    )
                conn.execute(
                    delete(rate_windows).where(rate_windows.c.window_start < window - WINDOW_SECONDS)
                )
        except SQLAlchemyError:
            log.warning("rate-limit sweep failed", exc_info=True)
