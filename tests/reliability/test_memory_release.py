"""Memory of the servers and workers: freed memory handed back, fusion runs bounded in the worker."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import os
import subprocess
import sys
import textwrap
import threading
import time
import weakref

import anyio.to_thread
import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from sqlalchemy import event

from markaz.analysis.fusion import BATCH
from markaz.app import create_app
from markaz.centre import Centre
from markaz.cli import worker
from markaz.cli.serve import MALLOC_ARENAS, keep_releasing_free_memory
from markaz.storage.database import BACKGROUND_CONNECTIONS
from tests.analysis.fusion_helpers import point, submit
from tests.conftest import Account

# Run in a fresh interpreter: what this process (pytest, its plugins) holds must not blur it.
# It allocates 200 MB in 4 KiB blocks, frees nine of every ten (so malloc cannot shrink the
# heap from its top: the free runs sit between blocks in use), and prints resident anonymous
# memory before the frees, after them, and once the trimming thread has had time to run.
_PROGRAM = textwrap.dedent(
    """
    import ctypes, threading, time
    from pathlib import Path

    from markaz.cli.serve import keep_releasing_free_memory

    def anon_mb():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
        raise SystemExit("no RssAnon")

    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
    blocks = []
    for _ in range(50_000):
        p = libc.malloc(4096)
        libc.memset(p, 1, 4096)
        blocks.append(p)
    full = anon_mb()
    for i, p in enumerate(blocks):
        if i % 10:
            libc.free(p)
    freed = anon_mb()
    stop = threading.Event()
    thread = keep_releasing_free_memory(stop, every=0.2)
    time.sleep(1.5)
    trimmed = anon_mb()
    stop.set()
    thread.join(timeout=5)
    print(full, freed, trimmed, thread.is_alive())
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc and /proc")
def test_the_trimming_thread_hands_freed_memory_back_and_stops() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROGRAM], capture_output=True, text=True, timeout=120, check=True
    ).stdout.split()
    full, freed, trimmed = (float(v) for v in out[:3])
    # Freed blocks between used ones stay resident until malloc_trim hands their pages back.
    assert freed > full - 20, (full, freed)
    assert trimmed < freed - 100, (full, freed, trimmed)
    assert out[3] == "False"  # the thread ended when told to


def test_the_trimming_thread_collects_young_garbage_cycles() -> None:
    """With thresholds no young collection reaches during the test, a reference cycle is
    collected by the trimming thread within a few of its rounds, not whenever the collector
    would have come to it."""

    class Cycle:
        def __init__(self) -> None:
            self.me = self

    thresholds = gc.get_threshold()
    gc.set_threshold(10_000_000, 50, 100)
    stop = threading.Event()
    try:
        cycle = Cycle()
        gone = weakref.ref(cycle)
        del cycle
        assert gone() is not None  # only a collection frees a cycle
        thread = keep_releasing_free_memory(stop, every=0.02)
        deadline = time.monotonic() + 10
        while gone() is not None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gone() is None
    finally:
        stop.set()
        gc.set_threshold(*thresholds)
    thread.join(timeout=5)
    assert not thread.is_alive()


# Starts eight threads that each allocate through malloc (ctypes lets go of the interpreter
# lock, so they run at once), then prints how many arenas glibc's malloc_stats lists.
_ARENAS_PROGRAM = textwrap.dedent(
    """
    import ctypes, sys, threading

    from markaz.cli.serve import limit_malloc_arenas

    if sys.argv[1] == "limit":
        limit_malloc_arenas()
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    ready = threading.Barrier(8)

    def allocate():
        ready.wait()
        for _ in range(2_000):
            libc.free(libc.malloc(256))

    threads = [threading.Thread(target=allocate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    libc.malloc_stats()  # one "Arena N:" line per arena, on stderr
    """
)


def _arenas(mode: str, env: dict[str, str]) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _ARENAS_PROGRAM, mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=env,
    )
    return sum(1 for line in done.stderr.splitlines() if line.startswith("Arena "))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_servers_and_workers_keep_to_the_malloc_arenas_they_allow_unless_the_operator_sets_them() -> None:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    assert _arenas("free", env) > MALLOC_ARENAS + 1  # glibc's own default: an arena a thread
    assert _arenas("limit", env) == MALLOC_ARENAS
    assert _arenas("limit", {**env, "MALLOC_ARENA_MAX": "3"}) == 3  # the operator's setting wins


def test_the_worker_loop_fuses_at_most_its_batch_a_run(centre: Centre, accounts: dict[str, Account]) -> None:
    # On PostgreSQL the worker's batch is smaller than fusion's own (docs/operations.md, the
    # ten-minute soak); on SQLite the worker shares serve's write lock with ingest and keeps
    # fusion's batch.
    limit = worker.fusion_limit(centre)
    if centre.db.dialect.name == "postgresql":
        assert 0 < limit == worker.FUSION_BATCH < BATCH
    else:
        assert limit == BATCH
    spots = [
        {"category": "weapons_depot", "geometry": point(40.0 + k * 0.01, 33.0)} for k in range(limit + 30)
    ]
    for start in range(0, len(spots), 100):  # a report carries at most 100 observations
        submit(centre, accounts["IQ"], spots[start : start + 100])
    assert worker.fuse(centre) == limit
    assert worker.fuse(centre) == 30
    assert worker.fuse(centre) == 0


def test_requests_at_once_are_bounded_by_the_connections_the_pool_keeps(
    centre: Centre, accounts: dict[str, Account]
) -> None:
    """Under the app's lifespan, the thread pool that runs requests has as many threads as the
    database pool keeps connections, so three times that many requests at once never hold
    more connections than the pool keeps (beyond it, each would be opened and closed)."""
    app = create_app(centre.settings, centre)
    held = peak = 0
    lock = threading.Lock()

    def checkout(*_: object) -> None:
        nonlocal held, peak
        with lock:
            held += 1
            peak = max(peak, held)

    def checkin(*_: object) -> None:
        nonlocal held
        with lock:
            held -= 1

    event.listen(centre.db.engine, "checkout", checkout)
    event.listen(centre.db.engine, "checkin", checkin)
    headers = accounts["IQ"].headers

    async def under_load() -> tuple[int, list[int]]:
        async with app.router.lifespan_context(app):
            tokens = anyio.to_thread.current_default_thread_limiter().total_tokens
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://markaz.test") as http:
                many = 3 * centre.db.request_threads
                calls = [http.get("/api/v1/reports", headers=headers) for _ in range(many)]
                answers = await asyncio.gather(*calls)
        return int(tokens), [a.status_code for a in answers]

    with start_blocking_portal() as portal:
        tokens, statuses = portal.call(under_load)
    assert tokens == centre.db.request_threads
    assert set(statuses) == {200}
    assert 0 < peak <= centre.db.request_threads


def test_the_pool_keeps_a_connection_for_every_request_thread_and_every_background_thread(
    centre: Centre,
) -> None:
    """With every request thread holding a connection, the queue's worker and the dispatcher's
    two threads still find one kept for them: none is opened beyond the pool (an overflow
    connection is opened for the moment and closed after it, and on SQLite that churn
    fragmented the heap in the soak)."""
    db = centre.db
    opened = 0

    def connected(*_: object) -> None:
        nonlocal opened
        opened += 1

    requests = [db.engine.connect() for _ in range(db.request_threads)]
    background = threading.Barrier(BACKGROUND_CONNECTIONS + 1)
    overflow: list[int] = []

    def background_thread() -> None:
        with db.read() as conn:
            conn.exec_driver_sql("SELECT 1")
            background.wait(timeout=30)  # every background thread holds its connection here
            background.wait(timeout=30)

    event.listen(db.engine, "connect", connected)
    threads = [threading.Thread(target=background_thread) for _ in range(BACKGROUND_CONNECTIONS)]
    try:
        before = opened
        for thread in threads:
            thread.start()
        background.wait(timeout=30)
        overflow.append(db.engine.pool.overflow())  # type: ignore[attr-defined]
        background.wait(timeout=30)
        for thread in threads:
            thread.join(timeout=30)
    finally:
        event.remove(db.engine, "connect", connected)
        for conn in requests:
            conn.close()
    assert db.pool_size == db.request_threads + BACKGROUND_CONNECTIONS
    assert overflow == [0]  # all the pool keeps in use, nothing beyond it
    assert opened - before <= BACKGROUND_CONNECTIONS  # opened once, then kept


def _sqlite_memory() -> int:
    """Bytes SQLite's allocator holds in this process (every connection's caches)."""
    import sqlite3  # noqa: F401  (the library the driver uses is loaded)

    lib = ctypes.CDLL(ctypes.util.find_library("sqlite3") or "libsqlite3.so.0")
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    return int(lib.sqlite3_memory_used())


def test_an_idle_database_empties_its_pooled_connections_page_caches(centre: Centre) -> None:
    db = centre.db
    row = "('" + "x" * 2000 + "')"
    with db.write() as conn:
        conn.exec_driver_sql("CREATE TABLE filler (body TEXT)")
        conn.exec_driver_sql("INSERT INTO filler (body) VALUES " + ",".join([row] * 2000))  # 4 MB
    ready = threading.Barrier(4)

    def read_everything(together: bool) -> None:
        with db.read() as conn:
            if together:
                ready.wait(timeout=30)  # four at once: four pooled connections fill their caches
            conn.exec_driver_sql("SELECT count(*), max(length(body)) FROM filler").all()

    readers = [threading.Thread(target=read_everything, args=(True,)) for _ in range(4)]
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join(timeout=30)
    if not db.is_sqlite:
        assert db.release_idle_memory() is False  # PostgreSQL's caches are the server's
        assert db.release_idle_memory() is False
        return
    filled = _sqlite_memory()
    assert db.release_idle_memory() is False  # connections were taken since the last call
    with db.engine.connect():
        assert db.release_idle_memory() is False  # one is in use: not idle
    assert db.release_idle_memory() is False  # that one was taken since the last call
    assert db.release_idle_memory() is True  # a whole round with nothing taken: released
    assert filled - _sqlite_memory() > 4 * 2**20  # four caches of about 2 MiB each, handed back
    assert db.release_idle_memory() is False  # nothing taken since: nothing to do
    read_everything(together=False)
    assert db.release_idle_memory() is False
    assert db.release_idle_memory() is True


def test_the_trimming_thread_calls_the_idle_release_each_round() -> None:
    calls: list[float] = []
    stop = threading.Event()

    def idle() -> None:
        calls.append(time.monotonic())
        if len(calls) == 2:
            raise RuntimeError("a failed release does not end the thread")

    thread = keep_releasing_free_memory(stop, every=0.02, idle=idle)
    deadline = time.monotonic() + 10
    while len(calls) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    thread.join(timeout=5)
    assert len(calls) >= 4
    assert not thread.is_alive()
