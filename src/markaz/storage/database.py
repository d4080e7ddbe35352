"""The Database object: engine, one-writer discipline for SQLite, and read/write transactions."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import QueuePool

from markaz.errors import MarkazError
from markaz.storage.dialects import StorageDialect, dialect_for

# SQLite connections kept by the pool, and more opened (then closed) at a peak beyond them.
# The API runs at most SQLITE_POOL requests at once (app.py): with 8 instead of 16 a
# ten-minute soak of one `markaz serve` grew +4.9% at rest instead of +6.3% to +11.6%, at the
# same throughput and a lower p99 (bench/load.py --soak 600, docs/operations.md); one
# SQLite writer and two cores have no use for more requests in flight.
SQLITE_POOL = 8
SQLITE_OVERFLOW = 24
# Connections the pool keeps, beyond the requests', for the threads a serving process runs
# besides them: the queue's worker (cli/worker.py) and the dispatcher's database and urgent
# threads (dissemination/worker.py). With none kept for them, a ten-minute SQLite soak opened
# and closed about 260 connections, each time all eight were busy with requests
# (bench/_memprobe.py names who opened them).
BACKGROUND_CONNECTIONS = 3
SQLITE_CACHE_KIB = 2048  # each connection's page cache (SQLite's own default size)


def normalise_url(url: str) -> str:
    """Accept the usual spellings and pick the drivers markaz is built on."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class Database:
    """One database, SQLite or PostgreSQL, with explicit read and write transactions."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 30_000, pool_size: int = 16) -> None:
        self.url = normalise_url(url)
        try:
            parsed = make_url(self.url)
        except ArgumentError as exc:
            raise MarkazError(f"database URL {url!r} is not valid: {exc}") from exc
        self.dialect: StorageDialect
        try:
            self.dialect = dialect_for(parsed.get_backend_name())
        except ValueError as exc:
            raise MarkazError(str(exc)) from exc
        self._write_lock = threading.Lock()
        self._lock_path: Path | None = None
        self._lock_fd: int | None = None
        kwargs: dict[str, Any] = {
            # orjson: several times faster than the standard library on the ingest path.
            "json_serializer": _json_dumps,
            "json_deserializer": orjson.loads,
        }
        if self.dialect.name == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": busy_timeout_ms / 1000}
            if database in ("", ":memory:"):
                raise MarkazError("an in-memory SQLite database cannot be shared; give a file path")
            self._lock_path = Path(database + "-writer.lock")
            # Keep the connections a busy server uses (its forty request threads) instead of
            # closing every one returned beyond five (SQLAlchemy's default): under load that
            # opened a connection a second, each re-reading the schema and re-filling its
            # caches, and the churn fragmented the heap (bench/load.py --probe: 500
            # connections in five minutes before, 16 after; docs/operations.md).
            pool_size = SQLITE_POOL
            kwargs["max_overflow"] = SQLITE_OVERFLOW
        else:
            # As for SQLite: keep what a busy process uses (16; 8 opened and closed about a
            # connection a second under the load benchmark, each a new server backend),
            # and a few more at peaks.
            kwargs["max_overflow"] = pool_size // 2
            kwargs["pool_pre_ping"] = True
        # The API runs at most this many requests at once (app.py), each holding a connection.
        self.request_threads = pool_size
        # The connections the pool keeps: one per request thread, and the background threads'.
        self.pool_size = pool_size + BACKGROUND_CONNECTIONS
        kwargs["pool_size"] = self.pool_size
        self.engine: Engine = create_engine(self.url, **kwargs)
        # Connections taken from the pool, for release_idle_memory.
        self._idle_lock = threading.Lock()
        self._checkouts = self._checkouts_seen = self._checkouts_at_last_call = 0
        if self.dialect.name == "sqlite":
            self._configure_sqlite(busy_timeout_ms)

    def _configure_sqlite(self, busy_timeout_ms: int) -> None:
        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event below issue BEGIN itself, so writes can take
            # the write lock up front (BEGIN IMMEDIATE) instead of upgrading mid-transaction.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            # The page cache is per connection: 2 MiB each bounds the caches of the 11
            # connections the pool keeps (8 for requests, 3 for the background threads) to
            # 22 MiB (64 MiB each allowed about 1 GB over the 16 it kept then). In WAL mode a
            # connection's cache is emptied whenever another connection has committed, so on a
            # busy centre a large one mostly held pages about to be discarded (the soak
            # measured under 30 MB of SQLite memory in all with 64 MiB allowed); the operating
            # system's file cache keeps the hot pages for every connection and process.
            cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cur.close()

        @event.listens_for(self.engine, "checkout")
        def _on_checkout(*_: Any) -> None:
            self._checkouts += 1  # under the GIL; an approximate count is all it needs

        @event.listens_for(self.engine, "begin")
        def _on_begin(conn: Connection) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

    def release_idle_memory(self) -> bool:
        """On SQLite, once no connection has been taken from the pool since the last call,
        empty every pooled connection's page cache (PRAGMA shrink_memory); True if it did.

        Called every few seconds by the trimming thread (cli/serve.py), it does nothing while
        requests come in; on a server that has gone quiet it hands back the pages its
        connections hold, which under load were allocated all over the heap, so that malloc can
        return them. The next query reads its pages again from the operating system's file cache.
        """
        pool = self.engine.pool
        if not self.is_sqlite or not isinstance(pool, QueuePool) or pool.checkedout():
            return False
        with self._idle_lock:
            taken = self._checkouts
            if taken == self._checkouts_seen:
                return False  # already released, and nothing has happened since
            if taken != self._checkouts_at_last_call:
                self._checkouts_at_last_call = taken  # busy since the last call: wait a round
                return False
            held: list[Any] = []
            try:
                # Each connection taken is held until all are, so every pooled one is reached.
                for _ in range(pool.checkedin()):
                    conn = pool.connect()
                    held.append(conn)
                    conn.cursor().execute("PRAGMA shrink_memory")
            finally:
                for conn in held:
                    conn.close()
            self._checkouts_seen = self._checkouts_at_last_call = self._checkouts
            return True

    @property
    def is_sqlite(self) -> bool:
        return self.dialect.name == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction (a consistent snapshot on both databases)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed on success, rolled back whole on any error."""
        if self.is_sqlite:
            # One writer per process (the thread lock), one across processes (an flock on a
            # file beside the database: a waiting process wakes the moment it is released,
            # where SQLite's busy handler sleeps and retries), and BEGIN IMMEDIATE, so writers
            # queue instead of failing with "database is locked" on upgrade.
            with self._write_lock, self._process_lock(), self.engine.connect() as conn:
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                with conn.begin():
                    yield conn
        else:
            with self.engine.connect() as conn, conn.begin():
                yield conn

    @contextmanager
    def _process_lock(self) -> Iterator[None]:
        if self._lock_path is None:
            yield
            return
        if self._lock_fd is None:
            self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def dispose(self) -> None:
        self.engine.dispose()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
