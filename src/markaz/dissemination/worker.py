"""The delivery worker: fans the outbox out, pushes to endpoints by precedence, retries, escalates.

It runs an asyncio loop in its own thread, so hundreds of webhook requests are in flight at once
while database work runs one transaction at a time in a helper thread. Each endpoint has its own
concurrency limit and timeout: a slow or dead endpoint holds only its own slots.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiohttp
from sqlalchemy import Connection, event, func, or_, select

from markaz.centre import Centre
from markaz.dissemination import escalation, outbox, webhook
from markaz.storage.outbox import NOTIFY_CHANNEL, WAKE_KEY
from markaz.storage.schema_dissemination import outbox as outbox_table
from markaz.storage.schema_dissemination import pushes

log = logging.getLogger("markaz.dissemination")
T = TypeVar("T")
MAINTENANCE_SECONDS = 1.0


class Dispatcher:
    """One delivery worker. `start()` runs it in a thread; `stop()` ends it."""

    def __init__(self, centre: Centre) -> None:
        self.centre = centre
        self.settings = centre.settings
        self._db_pool = ThreadPoolExecutor(1, thread_name_prefix="markaz-delivery-db")
        # The urgent lane: FLASH and IMMEDIATE are fanned out and claimed in their own thread,
        # without waiting for the ROUTINE step under way.
        self._urgent_pool = ThreadPoolExecutor(1, thread_name_prefix="markaz-delivery-urgent")
        self._urgent: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._listener: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = threading.Event()
        self._inflight: dict[int, int] = {}
        self._outcomes: list[webhook.Outcome] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._next_maintenance = 0.0
        self._started = threading.Event()
        self._timeout = aiohttp.ClientTimeout(total=self.settings.webhook_timeout_seconds)

    # --- running -------------------------------------------------------------------------

    def start(self) -> None:
        event.listen(self.centre.db.engine, "commit", self._on_commit)
        event.listen(self.centre.db.engine, "rollback", self._on_rollback)
        self._thread = threading.Thread(target=self._main, name="markaz-delivery", daemon=True)
        self._thread.start()
        self._started.wait(10)
        if self.centre.db.dialect.name == "postgresql":
            self._listener = threading.Thread(target=self._listen, name="markaz-delivery-listen", daemon=True)
            self._listener.start()

    def stop(self, timeout: float = 10) -> None:
        self._stopping.set()
        self.ring()
        if self._thread is not None:
            self._thread.join(timeout)
        if event.contains(self.centre.db.engine, "commit", self._on_commit):
            event.remove(self.centre.db.engine, "commit", self._on_commit)
        if event.contains(self.centre.db.engine, "rollback", self._on_rollback):
            event.remove(self.centre.db.engine, "rollback", self._on_rollback)
        if self._listener is not None:
            self._listener.join(timeout)
        self._db_pool.shutdown(wait=True)
        self._urgent_pool.shutdown(wait=True)

    def ring(self, rank: int = 3) -> None:
        """Wake the worker now (thread-safe); FLASH and IMMEDIATE (rank 0, 1) take the urgent lane."""
        loop, wake, urgent = self._loop, self._wake, self._urgent
        if loop is not None and wake is not None and urgent is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(wake.set)
                if rank <= webhook.URGENT_RANK:
                    loop.call_soon_threadsafe(urgent.set)

    def _on_commit(self, conn: Connection) -> None:
        # Set by outbox.enqueue in the transaction just committed: no polling delay for FLASH.
        rank = conn.info.pop(WAKE_KEY, None)
        if rank is not None:
            self.ring(int(rank))

    def _on_rollback(self, conn: Connection) -> None:
        # What a rolled-back transaction queued was never stored: nothing to wake for.
        conn.info.pop(WAKE_KEY, None)

    def _listen(self) -> None:
        """PostgreSQL: other processes' commits NOTIFY; the worker wakes at once."""
        import psycopg

        url = self.centre.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stopping.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    while not self._stopping.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self.ring(int(note.payload) if note.payload.isdigit() else 3)
            except psycopg.Error as exc:
                log.warning("listening for new deliveries failed, polling meanwhile: %s", exc)
                self._stopping.wait(1)

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except Exception:  # pragma: no cover - logged; the process keeps serving
            log.exception("the delivery worker stopped")

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._urgent = asyncio.Event()
        self._started.set()
        poll = self.settings.delivery_poll_ms / 1000
        # aiohttp: about ten times the requests per second of httpx's async client here (measured
        # on the 2-core machine: 1,860/s against 187/s with 8 concurrent requests).
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, keepalive_timeout=30)
        async with aiohttp.ClientSession(connector=connector, trust_env=False) as client:
            urgent_lane = asyncio.create_task(self._urgent_lane(client))
            while not self._stopping.is_set():
                self._wake.clear()
                try:
                    progressed = await self.step(client)
                except Exception:
                    # A database hiccup must not end delivery: wait a moment and go on.
                    log.exception("delivery step failed; retrying")
                    progressed = False
                    await asyncio.sleep(0.5)
                if not progressed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=poll)
            self._urgent.set()
            await urgent_lane
            if self._tasks:
                await asyncio.wait(self._tasks, timeout=self.settings.webhook_timeout_seconds)
            if self._outcomes:
                await self._db(self._record, self._take_outcomes())

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        assert self._loop is not None
        return await self._loop.run_in_executor(self._db_pool, fn, *args)

    # --- one step ------------------------------------------------------------------------

    async def step(self, client: aiohttp.ClientSession) -> bool:
        """Fan out, then record outcomes and claim in one transaction, and send; True when
        anything happened. Most urgent first at every stage."""
        fanned = await self._db(self._fan_out)
        outcomes = self._take_outcomes()
        claimed = await self._db(self._exchange, outcomes)
        self._launch(client, claimed)
        progressed = fanned.rows > 0 or bool(outcomes) or bool(claimed)
        if time.monotonic() >= self._next_maintenance:
            self._next_maintenance = time.monotonic() + MAINTENANCE_SECONDS
            progressed |= await self._db(self._maintain) > 0
        return progressed

    async def _urgent_lane(self, client: aiohttp.ClientSession) -> None:
        """FLASH and IMMEDIATE only: fanned out and claimed in one transaction as soon as rung."""
        assert self._urgent is not None and self._loop is not None
        while not self._stopping.is_set():
            await self._urgent.wait()
            self._urgent.clear()
            if self._stopping.is_set():
                return
            try:
                claimed = await self._loop.run_in_executor(self._urgent_pool, self._urgent_step)
            except Exception:
                log.exception("urgent delivery step failed; the main step will take it")
                continue
            self._launch(client, claimed)

    def _urgent_step(self) -> list[webhook.Push]:
        capacity = self.settings.endpoint_concurrency
        free = {e: capacity - n for e, n in self._inflight.items()}
        db = self.centre.db
        with db.write() as conn:
            outbox.fan_out(conn, db.dialect, self.settings, max_rank=webhook.URGENT_RANK)
            return webhook.claim(
                conn,
                db.dialect,
                free=free,
                saturated=(),
                default_capacity=capacity,
                max_rank=webhook.URGENT_RANK,
            )

    def _launch(self, client: aiohttp.ClientSession, claimed: list[webhook.Push]) -> None:
        for push in claimed:
            self._inflight[push.endpoint_id] = self._inflight.get(push.endpoint_id, 0) + 1
            task = asyncio.create_task(self._send(client, push))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _take_outcomes(self) -> list[webhook.Outcome]:
        taken, self._outcomes = self._outcomes, []
        return taken

    def _record(self, outcomes: list[webhook.Outcome]) -> None:
        with self.centre.db.write() as conn:
            webhook.record(conn, self.settings, outcomes)

    def _exchange(self, outcomes: list[webhook.Outcome]) -> list[webhook.Push]:
        """Record what endpoints answered and claim the next pushes, in one write transaction."""
        capacity = self.settings.endpoint_concurrency
        saturated = [e for e, n in self._inflight.items() if n >= capacity]
        free = {e: capacity - n for e, n in self._inflight.items()}
        db = self.centre.db
        now = datetime.now(UTC)
        if not outcomes:
            # A read first: an idle worker polls often and must not take the write lock for nothing.
            with db.read() as conn:
                due = select(pushes.c.id).where(pushes.c.state == "pending", pushes.c.next_attempt_at <= now)
                if saturated:
                    due = due.where(
                        or_(
                            pushes.c.endpoint_id.not_in(saturated),
                            pushes.c.precedence_rank <= webhook.URGENT_RANK,
                        )
                    )
                if conn.execute(due.limit(1)).first() is None:
                    return []
        with db.write() as conn:
            if outcomes:
                webhook.record(conn, self.settings, outcomes)
            return webhook.claim(
                conn, db.dialect, free=free, saturated=saturated, default_capacity=capacity, now=now
            )

    def _fan_out(self) -> outbox.FanOut:
        db = self.centre.db
        with db.read() as conn:
            if (
                conn.execute(
                    select(outbox_table.c.id).where(outbox_table.c.state == "queued").limit(1)
                ).first()
                is None
            ):
                return outbox.FanOut()
        with db.write() as conn:
            return outbox.fan_out(conn, db.dialect, self.settings)

    def _maintain(self) -> int:
        db = self.centre.db
        with db.write() as conn:
            expired = webhook.expire_leases(conn, self.settings)
            escalated = escalation.escalate(conn, db.dialect, self.settings)
        return expired + escalated

    async def _send(self, client: aiohttp.ClientSession, push: webhook.Push) -> None:
        ok, status, error = False, None, None
        try:
            if push.body is None:
                error = "the item is no longer released to this member"
            else:
                headers = webhook.signed_headers(push.delivery_id, push.secret, push.body, int(time.time()))
                async with client.post(
                    push.url, data=push.body, headers=headers, timeout=self._timeout, allow_redirects=False
                ) as response:
                    await response.read()
                    status = response.status
                ok = 200 <= status < 300
                error = None if ok else f"the endpoint answered HTTP {status}"
        except TimeoutError:
            error = f"no answer within {self.settings.webhook_timeout_seconds:g} s"
        except aiohttp.ClientError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        except Exception as exc:  # never let one request end the worker
            error = f"{type(exc).__name__}: {exc}"
        finally:
            self._inflight[push.endpoint_id] -= 1
            self._outcomes.append(webhook.Outcome(push, ok, status, error, datetime.now(UTC)))
            if self._wake is not None:
                self._wake.set()

    # --- for tests and `markaz worker --once` ----------------------------------------------

    def pending(self, *, scheduled: bool = False) -> int:
        """Outbox rows queued plus unfinished pushes: due now or claimed, and with `scheduled`
        also retries whose time has not come yet."""
        now = datetime.now(UTC)
        waiting = pushes.c.state == "pending"
        if not scheduled:
            waiting = waiting & (pushes.c.next_attempt_at <= now)
        with self.centre.db.read() as conn:
            rows = conn.execute(select(func.count()).where(outbox_table.c.state == "queued")).scalar_one()
            due = conn.execute(
                select(func.count()).select_from(pushes).where((pushes.c.state == "sending") | waiting)
            ).scalar_one()
        return int(rows) + int(due) + len(self._tasks) + len(self._outcomes)


def run_until_idle(centre: Centre, timeout: float = 60, *, retries: bool = True) -> bool:
    """Run a worker until nothing is queued or due (True), or `timeout` seconds pass (False).

    With `retries`, also until every scheduled retry has run or gone to the dead-letter list.
    """
    dispatcher = Dispatcher(centre)
    dispatcher.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if dispatcher.pending(scheduled=retries) == 0:
                return True
            time.sleep(0.05)
        return False
    finally:
        dispatcher.stop()
