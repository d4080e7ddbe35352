"""A throwaway PostgreSQL cluster for the benchmarks (initdb + pg_ctl in a temporary directory).

The tests have their own (tests/pgcluster.py): benchmarks do not import the test tree, and
the test fixtures do not depend on bench/. Both find the server programs the same way as
`markaz backup` does (markaz.storage.backup.pg_binary).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg

from _server import free_port
from markaz.storage.backup import pg_binary


class PostgresCluster:
    """`start()` creates and starts it on a free port; `stop()` stops it and removes its files."""

    def __init__(self, *, max_connections: int = 300) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="markaz-bench-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.max_connections = max_connections
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            # initdb refuses to run as root: run the server as the postgres system user.
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, args: Sequence[str]) -> None:
        subprocess.run([*self._as_user, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run(
            [
                pg_binary("initdb"),
                "-D",
                str(self.data),
                "-U",
                "markaz",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
        )
        # Durable settings (fsync on), unlike the tests' cluster: the load figures should be
        # those of a real server, only smaller.
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            f"-c max_connections={self.max_connections} -c shared_buffers=256MB"
        )
        self._run(
            [
                pg_binary("pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                str(self.dir / "log"),
                "-w",
                "start",
            ]
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://markaz@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run([pg_binary("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def throwaway_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
