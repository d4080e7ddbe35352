"""Per-token request rate limits shared by every API process, without a database write per request.

Fixed windows of 60 s. A process takes a *lease* of requests for a token (its share of what
is left in the window, `remaining / MARKAZ_RATE_LIMIT_PROCESSES`, at least one) in one short
write transaction and admits from it in memory. Leases are rows of `rate_leases`, one per
(token, window, process), holding what was reserved, how much of it the process has reported
as used, and when the lease expires; `rate_windows` holds the requests settled for good.
Every MARKAZ_RATE_LIMIT_SYNC_SECONDS a process reports what it used and renews its leases;
idle leases are handed back. A lease not renewed for LEASE_SYNCS sync intervals belongs to a
process that died (kill -9, a lost machine): the next reservation settles what that process
had reported as used and frees the rest, so a dead process no longer holds its share until
the window ends. Measured in bench/ratelimit.py; trade-offs in docs/security.md.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from markaz.errors import MarkazError
from markaz.storage.database import Database
from markaz.storage.in_list import one_of
from markaz.storage.schema_security import rate_leases, rate_windows

WINDOW_SECONDS = 60
# A lease is renewed every sync interval while its process lives; one not renewed for this
# many intervals belongs to a dead process and is reclaimed. The process itself stops using
# a lease one interval before that, so it never admits from a lease another may reclaim.
LEASE_SYNCS = 3
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
    lease: int = 0  # reserved in this process's lease row and not yet used
    admitted: int = 0  # used from the current lease row (what the row's `used` should say)
    reported: int = 0  # `admitted` as last written to the row
    in_db: bool = False  # this process holds a lease row for this key and window
    valid_until: float = 0.0  # the lease may be used without asking the database until then
    last_hit: float = 0.0
    full_until: float = 0.0  # the window was fully reserved when last asked; ask again after


@dataclass(frozen=True)
class _Grant:
    granted: int  # new requests reserved
    held: bool  # the process's lease row exists (renewed) after the transaction
    reclaimed: bool  # the row had been reclaimed as expired: the lease in memory is void


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
        self.lease_seconds = LEASE_SYNCS * sync_seconds
        self.clock = clock
        self.holder = uuid.uuid4().hex  # this limiter's name on its lease rows
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

    def _admit(self, counter: _Counter, now: float, retry_after: int) -> Decision | None:
        """Admit from the lease in memory, if there is one still valid (caller holds _lock)."""
        counter.last_hit = now
        if counter.lease > 0 and now < counter.valid_until:
            counter.lease -= 1
            counter.admitted += 1
            return Decision(True, self.limit, counter.lease, retry_after)
        return None

    def _counter(self, key: str, window: int) -> _Counter:
        counter = self._counters.get(key)
        if counter is None or counter.window != window:
            counter = self._counters[key] = _Counter(window)
        return counter

    def hit(self, key: str) -> Decision:
        if self.limit <= 0:
            return Decision(True, 0, 0, 0)
        now = self.clock()
        window = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
        retry_after = max(1, math.ceil(window + WINDOW_SECONDS - now))
        if now - self._last_sweep >= self.sync_seconds:
            self._sweep()
        with self._lock:
            counter = self._counter(key, window)
            admitted = self._admit(counter, now, retry_after)
            if admitted is not None:
                return admitted
            if counter.full_until > now and counter.lease == 0:
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
                counter = self._counter(key, window)
                admitted = self._admit(counter, now, retry_after)
                if admitted is not None:
                    return admitted
                used, reported, in_db = counter.admitted, counter.reported, counter.in_db
                # A lease in memory without a row of ours behind it (granted on its own while
                # the database was unreachable) is not renewed; only a row's lease is.
                lease = counter.lease if in_db else 0
            grant = self._reserve(key, window, now, used=used, reported=reported, in_db=in_db, lease=lease)
            with self._lock:
                if grant.reclaimed or not in_db:
                    # The lease row (if any) is new: what is in memory is void, and the row's
                    # use counts from here (a reclaimed row's last use was settled just now).
                    counter.lease, counter.admitted, counter.reported = 0, counter.admitted - used, 0
                else:
                    counter.reported = used
                counter.in_db = grant.held
                counter.lease += grant.granted
                if grant.held:
                    counter.valid_until = now + self.lease_seconds - self.sync_seconds
                elif grant.granted:  # admitted on its own while the database is unreachable
                    counter.valid_until = now + self.sync_seconds
                admitted = self._admit(counter, now, retry_after)
                if admitted is not None:
                    return admitted
                counter.full_until = now + self.sync_seconds
                return Decision(False, self.limit, 0, retry_after)

    def _share(self, remaining: int) -> int:
        return max(1, remaining // self.processes) if remaining > 0 else 0

    def _lock_windows(self, conn: Connection, keys: list[str], window: int) -> None:
        """Create the window rows if missing and, on PostgreSQL, lock them (in key order, so
        processes sweeping several keys cannot deadlock); SQLite's BEGIN IMMEDIATE already
        serialises every writer."""
        table = rate_windows
        insert = postgresql.insert if self.db.dialect.name == "postgresql" else sqlite.insert
        conn.execute(
            insert(table).on_conflict_do_nothing(index_elements=[table.c.key, table.c.window_start]),
            [{"key": k, "window_start": window, "count": 0} for k in sorted(keys)],
        )
        if self.db.dialect.name == "postgresql":
            conn.execute(
                select(table.c.key)
                .where(table.c.window_start == window, one_of(table.c.key, sorted(keys)))
                .order_by(table.c.key)
                .with_for_update()
            ).all()

    def _reserve(
        self, key: str, window: int, now: float, *, used: int, reported: int, in_db: bool, lease: int
    ) -> _Grant:
        """Renew this process's lease on `key` and, if its lease is used up, take its share of
        what is left; leases of other processes that expired are settled on the way."""
        try:
            with self.db.write() as conn:  # the caller holds self._db_lock
                self.reconciliations += 1
                self._lock_windows(conn, [key], window)
                leases = rate_leases
                where = (leases.c.key == key) & (leases.c.window_start == window)
                rows = conn.execute(
                    select(leases.c.holder, leases.c.reserved, leases.c.used, leases.c.expires_at).where(
                        where
                    )
                ).all()
                mine = next((r for r in rows if r.holder == self.holder), None)
                # Expired leases of others: what they reported as used is settled for good, the
                # rest is free again. A row of ours this process no longer knows about (a sweep
                # whose transaction failed) is settled the same way.
                gone = [r for r in rows if (r.holder != self.holder and r.expires_at <= now)]
                if mine is not None and not in_db:
                    gone.append(mine)
                    mine = None
                settled = sum(r.used for r in gone)
                reclaimed = in_db and mine is None
                if reclaimed:
                    settled += used - reported  # what it admitted since its last report
                    used, lease = 0, 0
                outstanding = sum(r.reserved for r in rows if r not in gone)
                count = int(
                    conn.execute(
                        select(rate_windows.c.count).where(
                            rate_windows.c.key == key, rate_windows.c.window_start == window
                        )
                    ).scalar_one()
                )
                granted = self._share(self.limit - count - settled - outstanding) if lease == 0 else 0
                if settled:
                    conn.execute(
                        update(rate_windows)
                        .where(rate_windows.c.key == key, rate_windows.c.window_start == window)
                        .values(count=rate_windows.c.count + settled)
                    )
                if gone:
                    conn.execute(
                        delete(leases).where(where, one_of(leases.c.holder, [r.holder for r in gone]))
                    )
                expires = now + self.lease_seconds
                if mine is not None:
                    conn.execute(
                        update(leases)
                        .where(where, leases.c.holder == self.holder)
                        .values(reserved=leases.c.reserved + granted, used=used, expires_at=expires)
                    )
                elif granted:
                    conn.execute(
                        leases.insert().values(
                            key=key,
                            window_start=window,
                            holder=self.holder,
                            reserved=granted,
                            used=0,
                            expires_at=expires,
                        )
                    )
                return _Grant(granted, mine is not None or granted > 0, reclaimed)
        except SQLAlchemyError:
            # The limit must not take the API down with it: without the database, this
            # process admits one share per token per sync interval on its own.
            log.warning("rate-limit reservation failed", exc_info=True)
            now = self.clock()
            failed = self._failed.get(key)
            if failed is not None and failed[0] == window and now - failed[1] < self.sync_seconds:
                return _Grant(0, False, False)
            self._failed[key] = (window, now)
            return _Grant(self._share(self.limit), False, False)

    def _sweep(self) -> None:
        """Report and renew active leases; hand back idle ones, so other processes can use them."""
        # Holding the reservation lock from collecting to committing: no reservation in this
        # process can see the window while a lease it forgot is still counted as reserved.
        with self._db_lock:
            # Read the clock here, under the lock: a sweep that waited into the next window
            # would otherwise drop that window's leases as "old" without handing them back.
            now = self.clock()
            self._sweep_locked(now, int(now // WINDOW_SECONDS) * WINDOW_SECONDS)

    def _sweep_locked(self, now: float, window: int) -> None:
        with self._lock:
            if now - self._last_sweep < self.sync_seconds:
                return
            self._last_sweep = now
            # (key, used, reported) of this window's leases held in the database.
            idle: list[tuple[str, int, int]] = []
            active: list[tuple[str, int, int]] = []
            # Failed reservations of ended windows are forgotten (else the dict grows per key).
            self._failed = {k: f for k, f in self._failed.items() if f[0] == window}
            for k, c in list(self._counters.items()):
                is_idle = c.window != window or now - c.last_hit >= self.sync_seconds
                if c.window == window and c.in_db:
                    (idle if is_idle else active).append((k, c.admitted, c.reported))
                if is_idle:
                    del self._counters[k]
        reclaimed: set[str] = set()
        try:
            with self.db.write() as conn:
                self.reconciliations += 1
                if idle or active:
                    reclaimed = self._settle(conn, window, now, idle, active)
                old = window - WINDOW_SECONDS
                conn.execute(delete(rate_windows).where(rate_windows.c.window_start < old))
                conn.execute(delete(rate_leases).where(rate_leases.c.window_start < old))
        except SQLAlchemyError:
            log.warning("rate-limit sweep failed", exc_info=True)
            return
        with self._lock:
            for k, used, _reported in active:
                counter = self._counters.get(k)
                if counter is None or counter.window != window:
                    continue
                if k in reclaimed:
                    counter.lease, counter.admitted, counter.reported = 0, counter.admitted - used, 0
                    counter.in_db = False
                else:
                    counter.reported = used
                    counter.valid_until = now + self.lease_seconds - self.sync_seconds

    def _settle(
        self,
        conn: Connection,
        window: int,
        now: float,
        idle: list[tuple[str, int, int]],
        active: list[tuple[str, int, int]],
    ) -> set[str]:
        """Idle leases: their use settled, the rest freed. Active ones: use reported, renewed.
        Returns the active keys whose lease another process had already reclaimed."""
        leases = rate_leases
        self._lock_windows(conn, [k for k, _u, _r in idle + active], window)
        held = set(
            conn.execute(
                select(leases.c.key).where(leases.c.window_start == window, leases.c.holder == self.holder)
            ).scalars()
        )
        # A lease reclaimed as expired was settled with what it last reported; what was used
        # since is settled now. A held lease handed back is settled whole.
        settle = [
            {"k": k, "w": window, "n": used if k in held else used - reported} for k, used, reported in idle
        ] + [{"k": k, "w": window, "n": used - reported} for k, used, reported in active if k not in held]
        settle = [row for row in settle if row["n"]]
        if settle:
            conn.execute(
                update(rate_windows)
                .where(rate_windows.c.key == bindparam("k"), rate_windows.c.window_start == bindparam("w"))
                .values(count=rate_windows.c.count + bindparam("n")),
                settle,
            )
        ours = (leases.c.window_start == window) & (leases.c.holder == self.holder)
        handed_back = [k for k, _u, _r in idle if k in held]
        if handed_back:
            conn.execute(delete(leases).where(ours, one_of(leases.c.key, handed_back)))
        renewed = [{"k": k, "n": used} for k, used, _r in active if k in held]
        if renewed:
            conn.execute(
                update(leases)
                .where(ours, leases.c.key == bindparam("k"))
                .values(used=bindparam("n"), expires_at=now + self.lease_seconds),
                renewed,
            )
        return {k for k, _u, _r in active if k not in held}
