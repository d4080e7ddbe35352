"""Dissemination benchmark: FLASH latency through a ROUTINE backlog, and ROUTINE deliveries/s.

20 members, each with a real HTTP webhook receiver on 127.0.0.1 (asyncio, in a separate
process); 50,000 ROUTINE reports (each released to one other member) are queued while no
worker runs; then the worker starts and, once the backlog is draining, 100 FLASH reports
(released to ALL: 19 recipients each) are submitted one by one over HTTP. Printed: FLASH
latency from submission to receipt at every recipient (p50, p99, max) and ROUTINE
deliveries/s, on SQLite (worker inside `markaz serve`) and on PostgreSQL (two `markaz worker`
processes, `markaz serve --no-worker` for the API).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import multiprocessing
import os
import platform
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _server import MARKAZ, free_port, markaz
from markaz.dissemination.channels import add_endpoint
from markaz.domain.enums import Role
from markaz.storage.database import Database
from markaz.storage.members import add_member
from markaz.storage.principals import add_principal, create_token

MEMBERS = 20
SECRET = "bench-dissemination-secret-0123456789"
TARGETS = {"flash_p99_ms_sqlite": 100, "routine_deliveries_per_s": 2000}
_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.I)
_DELIVERY = re.compile(rb"x-markaz-delivery:\s*([0-9A-Z]+)", re.I)
_TIMESTAMP = re.compile(rb"x-markaz-timestamp:\s*(\d+)", re.I)
_SIGNATURE = re.compile(rb"x-markaz-signature:\s*sha256=([0-9a-f]+)", re.I)


# --- receivers: a separate process, so their work does not share the driver's interpreter --


def _receivers(count: int, pipe: Pipe) -> None:
    records: list[tuple[str, float]] = []
    bad = [0]

    class Hook(asyncio.Protocol):
        def connection_made(self, transport: Any) -> None:
            self.transport = transport
            self.buf = b""

        def data_received(self, data: bytes) -> None:
            self.buf += data
            while True:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = self.buf[:end]
                match = _LENGTH.search(head)
                size = int(match.group(1)) if match else 0
                if len(self.buf) < end + 4 + size:
                    return
                body = self.buf[end + 4 : end + 4 + size]
                self.buf = self.buf[end + 4 + size :]
                at = time.time()
                delivery = _DELIVERY.search(head)
                if b'"precedence":"FLASH"' in body:
                    # The documented recipe, on every FLASH: HMAC-SHA256 of "<timestamp>.<body>".
                    ts, sig = _TIMESTAMP.search(head), _SIGNATURE.search(head)
                    mac = hmac.new(
                        SECRET.encode(), (ts.group(1) if ts else b"") + b"." + body, hashlib.sha256
                    )
                    if not sig or not hmac.compare_digest(mac.hexdigest().encode(), sig.group(1)):
                        bad[0] += 1
                if delivery:
                    records.append((delivery.group(1).decode(), at))
                self.transport.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        servers = [await loop.create_server(Hook, "127.0.0.1", 0) for _ in range(count)]
        pipe.send([s.sockets[0].getsockname()[1] for s in servers])
        stopped = asyncio.Event()

        def commands() -> None:
            while True:
                command = pipe.recv()
                if command == "count":
                    loop.call_soon_threadsafe(lambda: pipe.send(len(records)))
                elif command == "dump":
                    loop.call_soon_threadsafe(lambda: pipe.send((list(records), bad[0])))
                elif command == "stop":
                    loop.call_soon_threadsafe(stopped.set)
                    return

        threading.Thread(target=commands, daemon=True).start()
        await stopped.wait()

    asyncio.run(main())


@contextmanager
def receivers(count: int) -> Iterator[tuple[list[int], Pipe]]:
    ours, theirs = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=_receivers, args=(count, theirs), daemon=True)
    proc.start()
    ports = ours.recv()
    try:
        yield ports, ours
    finally:
        ours.send("stop")
        proc.join(10)


def count(pipe: Pipe) -> int:
    """Requests received so far (cheap: the records stay in the receivers' process)."""
    pipe.send("count")
    return int(pipe.recv())


def received(pipe: Pipe) -> tuple[list[tuple[str, float]], int]:
    pipe.send("dump")
    records, bad = pipe.recv()
    return records, bad


# --- the centre --------------------------------------------------------------------------


def setup_centre(url: str, ports: list[int]) -> list[tuple[str, str]]:
    """20 members, an analyst token each, one webhook endpoint each; (code, token) pairs."""
    markaz("init", url=url)
    db = Database(url)
    out = []
    try:
        with db.write() as conn:
            for i, port in enumerate(ports):
                code = f"M{i + 1:02d}"
                add_member(
                    conn, db.dialect, code=code, names={"en": f"Member {code} (synthetic)"}, actor="bench"
                )
                principal = add_principal(
                    conn,
                    db.dialect,
                    username=f"{code.lower()}.bench",
                    member=code,
                    role=Role.ANALYST,
                    kind="system",
                    actor="bench",
                )
                token, _ = create_token(
                    conn,
                    db.dialect,
                    principal_id=principal["id"],
                    expires_in=timedelta(days=1),
                    actor="bench",
                )
                add_endpoint(
                    conn,
                    db.dialect,
                    member=code,
                    url=f"http://127.0.0.1:{port}/hook",
                    secret=SECRET,
                    actor="bench",
                )
                out.append((code, token))
    finally:
        db.dispose()
    return out


@contextmanager
def process(
    args: list[str], log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("a") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def serving(url: str, log: Path, *, worker: bool, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    args = [*MARKAZ, "serve", "--database-url", url, "--port", str(port)] + (
        [] if worker else ["--no-worker"]
    )
    with process(args, log, env) as proc:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"markaz serve did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield base


def queue_routine(base: str, accounts: list[tuple[str, str]], total: int) -> None:
    """`total` ROUTINE reports, each released to one other member, 1,000 per batch.

    Title only: no observations (fusion would take them in) and no body (extraction would
    read it), so the worker's time goes to dissemination alone.
    """
    codes = [c for c, _ in accounts]
    with httpx.Client(timeout=120) as client:
        for b in range(total // 1000):
            _origin, token = accounts[b % MEMBERS]
            batch = [
                {
                    "title": f"[SYNTHETIC] routine {b}-{i}",
                    "precedence": "ROUTINE",
                    "releasable_to": [codes[(b + 1 + i % (MEMBERS - 1)) % MEMBERS]],
                }
                for i in range(1000)
            ]
            r = client.post(
                f"{base}/api/v1/reports:batch",
                content=orjson.dumps(batch),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            if r.status_code != 200 or r.json()["failed"]:
                raise SystemExit(f"queueing ROUTINE failed: {r.status_code} {r.text[:500]}")


def inject_flash(base: str, token: str, count: int, gap: float) -> dict[str, float]:
    """FLASH reports one by one; report id -> submission time (before the request is sent)."""
    sent: dict[str, float] = {}
    with httpx.Client(timeout=30) as client:
        for i in range(count):
            body = {"title": f"[SYNTHETIC] flash {i}", "precedence": "FLASH", "releasable_to": ["ALL"]}
            at = time.time()
            r = client.post(f"{base}/api/v1/reports", json=body, headers={"Authorization": f"Bearer {token}"})
            if r.status_code != 201:
                raise SystemExit(f"FLASH {i} failed: {r.status_code} {r.text[:300]}")
            sent[r.json()["id"]] = at
            time.sleep(gap)
    return sent


def delivery_map(url: str) -> dict[str, tuple[str, str, str]]:
    """delivery id -> (report id, precedence, recipient), read after the run."""
    if url.startswith("sqlite:///"):
        con = sqlite3.connect(url[len("sqlite:///") :])
        rows = con.execute("SELECT id, ref, precedence, member_code FROM deliveries").fetchall()
        con.close()
    else:
        import psycopg

        with psycopg.connect(url) as con:
            rows = con.execute("SELECT id, ref, precedence, member_code FROM deliveries").fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run(url: str, workdir: Path, *, routine: int, flashes: int, workers: int) -> dict[str, Any]:
    log = workdir / "markaz.log"
    env = {"MARKAZ_RATE_LIMIT_PER_MINUTE": "0"}
    with receivers(MEMBERS) as (ports, pipe):
        accounts = setup_centre(url, ports)
        # Queue the backlog while no worker runs, so it is all waiting when delivery starts.
        with serving(url, log, worker=False, env=env) as base:
            queue_routine(base, accounts, routine)
        sqlite = url.startswith("sqlite")
        with serving(url, log, worker=sqlite, env=env) as base:
            extra = [[*MARKAZ, "worker", "--database-url", url] for _ in range(0 if sqlite else workers)]
            with contextlib_exit(extra, log, env):
                started = time.time()
                # Let the backlog drain for a moment, then inject the FLASH reports.
                while count(pipe) < min(5000, routine // 4):
                    time.sleep(0.05)
                submitted = inject_flash(base, accounts[0][1], flashes, 0.05)
                expected = routine + flashes * (MEMBERS - 1)
                deadline = time.monotonic() + 900
                while count(pipe) < expected and time.monotonic() < deadline:
                    time.sleep(0.2)
        records, bad = received(pipe)
    meta = delivery_map(url)
    first: dict[str, float] = {}
    for delivery, at in records:
        first[delivery] = min(at, first.get(delivery, at))
    latencies = [
        (at - submitted[meta[d][0]]) * 1000 for d, at in first.items() if d in meta and meta[d][1] == "FLASH"
    ]
    routine_times = sorted(at for d, at in first.items() if d in meta and meta[d][1] == "ROUTINE")
    span = routine_times[-1] - started if routine_times else 0.0
    return {
        "database": "sqlite" if url.startswith("sqlite") else "postgresql",
        "delivery_workers": "1 (inside markaz serve)"
        if url.startswith("sqlite")
        else f"{workers} markaz worker processes",
        "routine_queued": routine,
        "routine_delivered": len(routine_times),
        "flash_reports": flashes,
        "flash_deliveries": len(latencies),
        "flash_expected": flashes * (MEMBERS - 1),
        "flash_latency_ms": {
            "p50": round(percentile(latencies, 0.5), 1) if latencies else None,
            "p99": round(percentile(latencies, 0.99), 1) if latencies else None,
            "max": round(max(latencies), 1) if latencies else None,
        },
        "routine_deliveries_per_s": round(len(routine_times) / span) if span else None,
        "duplicates_received": len(records) - len(first),
        "bad_signatures": bad,
    }


@contextmanager
def contextlib_exit(commands: list[list[str]], log: Path, env: dict[str, str]) -> Iterator[None]:
    from contextlib import ExitStack

    with ExitStack() as stack:
        for command in commands:
            stack.enter_context(process(command, log, env))
        yield


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routine", type=int, default=50_000, help="ROUTINE reports queued (default 50,000)")
    parser.add_argument("--flash", type=int, default=100, help="FLASH reports injected one by one")
    parser.add_argument("--pg-workers", type=int, default=2, help="markaz worker processes on PostgreSQL")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--output", help="also write the JSON to this file")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="markaz-bench-diss-") as tmp:
        work = Path(tmp)
        results.append(
            run(f"sqlite:///{work}/bench.db", work, routine=args.routine, flashes=args.flash, workers=1)
        )
        if not args.no_postgres:
            from tests.pgcluster import PostgresCluster

            cluster = PostgresCluster()
            cluster.start()
            try:
                import psycopg

                with psycopg.connect(cluster.url(), autocommit=True) as con:
                    con.execute("CREATE DATABASE bench")
                results.append(
                    run(
                        cluster.url("bench"),
                        work,
                        routine=args.routine,
                        flashes=args.flash,
                        workers=args.pg_workers,
                    )
                )
            finally:
                cluster.stop()
    sqlite_result = results[0]
    report = {
        "benchmark": "dissemination",
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
        },
        "members": MEMBERS,
        "note": "2-core machine shared with other work while measured; see docs/dissemination.md",
        "results": results,
        "targets": TARGETS,
        "met": {
            "flash_p99_ms_sqlite": (sqlite_result["flash_latency_ms"]["p99"] or 1e9)
            < TARGETS["flash_p99_ms_sqlite"],
            "routine_deliveries_per_s": (sqlite_result["routine_deliveries_per_s"] or 0)
            >= TARGETS["routine_deliveries_per_s"],
        },
    }
    text = orjson.dumps(report, option=orjson.OPT_INDENT_2).decode()
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n")


if __name__ == "__main__":
    main()
