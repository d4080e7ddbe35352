"""Load benchmark: 50 concurrent clients, a realistic mix of reads and writes, against real processes.

SQLite: one `markaz serve` (with its worker thread). PostgreSQL: a throwaway cluster, two
`markaz serve --no-worker` processes (clients spread over both, as a load balancer would)
and two `markaz worker` processes. Prints JSON: throughput, p50/p99 latency per operation,
errors, and the resident memory of every server process at start and end. `--soak 600`
warms up for a minute, then runs the same load for 10 minutes and checks that no process's
memory at rest, before and after those 10 minutes, grew by more than 10%.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _pgcluster import throwaway_cluster
from _server import MARKAZ, free_port
from markaz.centre import Centre
from markaz.domain.enums import Role
from markaz.settings import Settings
from markaz.storage.database import Database
from markaz.storage.members import add_member
from markaz.storage.migrate import upgrade
from markaz.storage.principals import add_principal, create_token
from markaz.storage.schema import jobs, observations
from markaz.storage.schema_dissemination import outbox
from markaz.storage.schema_fusion import fusion_state

MEMBERS = ("IQ", "RU", "SY", "IR")
CATEGORIES = ("gathering", "position", "weapons_depot", "movement", "command_post")
WORDS = ("convoy", "trucks", "depot", "checkpoint", "bridge", "river", "ridge", "village", "fuel", "patrol")
SECRET = "bench-load-secret-" + "x" * 32
BATCH = 25
# The mix: 70% reads (list and map, with filters), 20% single submissions, 10% batches.
MIX = (("list", 0.35), ("map", 0.35), ("submit", 0.20), ("batch", 0.10))
SOAK_LIMIT = 0.10
# The groups movement reports name (--subjects sets how many); None is a report naming none.
SUBJECTS: list[str | None] = ["Group A (synthetic)", "Group B (synthetic)", None]


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {op: [] for op, _ in MIX})
    errors: dict[str, int] = field(default_factory=lambda: {op: 0 for op, _ in MIX})
    samples: list[str] = field(default_factory=list)
    reports_written: int = 0

    def error(self, op: str, message: str) -> None:
        self.errors[op] += 1
        if len(self.samples) < 10:
            self.samples.append(f"{op}: {message[:300]}")


@dataclass
class Deployment:
    bases: list[str]
    processes: dict[str, subprocess.Popen[bytes]]
    logs: list[Path]


def rss_mb(pid: int) -> float:
    """Resident set size of one process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def memory(deployment: Deployment) -> dict[str, float | None]:
    """RSS of each process in MB; None for a process that has exited."""
    return {
        name: rss_mb(proc.pid) if proc.poll() is None else None for name, proc in deployment.processes.items()
    }


def exited(deployment: Deployment) -> dict[str, dict[str, Any]]:
    """Processes that ended during the run, with their exit status and the end of their log."""
    gone = {}
    for (name, proc), log in zip(deployment.processes.items(), deployment.logs, strict=True):
        if proc.poll() is not None:
            tail = log.read_text(errors="replace").splitlines()[-15:]
            gone[name] = {"exit_status": proc.returncode, "log_tail": tail}
    return gone


def _report(rng: random.Random, free_text: bool = False) -> dict[str, Any]:
    lon, lat = round(rng.uniform(36, 46), 5), round(rng.uniform(32, 37), 5)
    body = " ".join(rng.choice(WORDS) for _ in range(30))
    report: dict[str, Any] = {
        "title": f"[SYNTHETIC] load {rng.choice(WORDS)} {uuid.uuid4().hex[:8]}",
        "body": f"[SYNTHETIC] {body}",
        "precedence": rng.choice(("ROUTINE", "ROUTINE", "PRIORITY", "IMMEDIATE")),
        "releasable_to": rng.choice((["ALL"], ["IQ", "SY"], ["RU", "IR"])),
        "client_ref": uuid.uuid4().hex,
        "observations": [],
    }
    if free_text:
        # Free text without observations: queued for extraction by the workers.
        report["body"] = "[SYNTHETIC] A convoy of trucks was seen near Mosul moving towards Tal Afar at dawn."
        return report
    report["observations"] = [
        {
            "category": rng.choice(CATEGORIES),
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "subject": rng.choice(SUBJECTS),
        }
        for _ in range(rng.choice((1, 1, 2)))
    ]
    return report


def _list_params(rng: random.Random) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": 50}
    kind = rng.choice(("none", "category", "bbox", "q", "since", "precedence"))
    if kind == "category":
        params["category"] = rng.choice(CATEGORIES)
    elif kind == "bbox":
        lon, lat = rng.uniform(36, 44), rng.uniform(32, 35)
        params["bbox"] = f"{lon:.3f},{lat:.3f},{lon + 2:.3f},{lat + 2:.3f}"
    elif kind == "q":
        params["q"] = rng.choice(WORDS)
    elif kind == "since":
        params["since"] = (datetime.now(UTC) - timedelta(minutes=rng.choice((1, 10, 60)))).isoformat()
    elif kind == "precedence":
        params["precedence"] = rng.choice(("ROUTINE", "PRIORITY", "IMMEDIATE"))
    return params


def _map_params(rng: random.Random) -> dict[str, Any]:
    lon, lat = rng.uniform(36, 43), rng.uniform(32, 35)
    params: dict[str, Any] = {"bbox": f"{lon:.3f},{lat:.3f},{lon + 3:.3f},{lat + 2:.3f}", "limit": 500}
    if rng.random() < 0.5:
        params["category"] = rng.choice(CATEGORIES)
    return params


async def _one(http: httpx.AsyncClient, rng: random.Random, token: str, op: str, stats: Stats) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    try:
        if op == "list":
            r = await http.get("/api/v1/reports", params=_list_params(rng), headers=headers)
            ok = r.status_code == 200
        elif op == "map":
            r = await http.get("/api/v1/observations.geojson", params=_map_params(rng), headers=headers)
            ok = r.status_code == 200
        elif op == "submit":
            body = orjson.dumps(_report(rng, free_text=rng.random() < 0.1))
            r = await http.post(
                "/api/v1/reports", content=body, headers={**headers, "Content-Type": "application/json"}
            )
            ok = r.status_code == 201
            stats.reports_written += ok
        else:
            body = orjson.dumps([_report(rng) for _ in range(BATCH)])
            r = await http.post(
                "/api/v1/reports:batch", content=body, headers={**headers, "Content-Type": "application/json"}
            )
            ok = r.status_code == 200 and orjson.loads(r.content)["created"] == BATCH
            stats.reports_written += BATCH if ok else 0
    except httpx.HTTPError as exc:
        stats.error(op, f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(0.1)  # a server that is gone is not hammered in a tight loop
        return
    elapsed = time.perf_counter() - started
    if ok:
        stats.latencies[op].append(elapsed)
    else:
        stats.error(op, f"HTTP {r.status_code}: {r.text}")


async def _client(
    http: httpx.AsyncClient,
    seed: int,
    token: str,
    until: float,
    stats: Stats,
    ops: list[str],
    weights: list[float],
) -> None:
    rng = random.Random(seed)
    while time.monotonic() < until:
        await _one(http, rng, token, rng.choices(ops, weights)[0], stats)


async def _load(
    bases: list[str], tokens: list[str], seconds: float, seed: int, on_tick: Any = None
) -> tuple[Stats, float]:
    """`len(tokens)` clients for `seconds`; client k talks to bases[k % len(bases)]."""
    stats = Stats()
    ops = [op for op, _ in MIX]
    weights = [w for _, w in MIX]
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    clients = [httpx.AsyncClient(base_url=b, timeout=120, limits=limits) for b in bases]
    started = time.monotonic()
    until = started + seconds
    try:
        tasks = [
            asyncio.create_task(
                _client(clients[k % len(clients)], seed * 1000 + k, token, until, stats, ops, weights)
            )
            for k, token in enumerate(tokens)
        ]
        if on_tick is not None:
            while not all(t.done() for t in tasks):
                await asyncio.sleep(1)
                on_tick(time.monotonic() - started)
        await asyncio.gather(*tasks)
    finally:
        for c in clients:
            await c.aclose()
    return stats, time.monotonic() - started


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0] * 1000, 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1] * 1000, 1)


def summary(stats: Stats, elapsed: float) -> dict[str, Any]:
    ops = {}
    for op, lat in stats.latencies.items():
        ops[op] = {
            "count": len(lat),
            "per_second": round(len(lat) / elapsed, 1),
            "p50_ms": _quantile(lat, 0.50),
            "p99_ms": _quantile(lat, 0.99),
            "errors": stats.errors[op],
        }
    done = sum(len(v) for v in stats.latencies.values())
    return {
        "seconds": round(elapsed, 1),
        "requests_per_second": round(done / elapsed, 1),
        "reports_written_per_second": round(stats.reports_written / elapsed, 1),
        "operations": ops,
        "errors": sum(stats.errors.values()),
        "error_samples": stats.samples,
    }


def setup(url: str, clients: int) -> list[str]:
    """Migrate, add the four members and one analyst token per client."""
    centre = Centre(Settings(database_url=url, secret_key=SECRET))
    try:
        upgrade(centre.db)
        tokens = []
        with centre.db.write() as conn:
            for code in MEMBERS:
                add_member(conn, centre.db.dialect, code=code, names={"en": f"Member {code}"}, actor="bench")
            for k in range(clients):
                member = MEMBERS[k % len(MEMBERS)]
                row = add_principal(
                    conn,
                    centre.db.dialect,
                    username=f"load.{member.lower()}.{k}",
                    member=member,
                    role=Role.ANALYST,
                    kind="system",
                    actor="bench",
                )
                token, _ = create_token(
                    conn,
                    centre.db.dialect,
                    principal_id=row["id"],
                    expires_in=timedelta(days=1),
                    actor="bench",
                )
                tokens.append(token)
        return tokens
    finally:
        centre.close()


def _wait_serving(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180  # a busy machine, or a process started under the probe
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"markaz serve exited ({proc.returncode}): {log.read_text()}")
        time.sleep(0.1)
    raise SystemExit(f"markaz serve did not answer within 180 s: {log.read_text()}")


def _command(name: str, probe: Path | None, env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The `markaz` command line for one process; under bench/_memprobe.py with `--probe`."""
    if probe is None:
        return list(MARKAZ), env
    probe.mkdir(parents=True, exist_ok=True)
    here = Path(__file__).resolve().parent
    return [sys.executable, str(here / "_memprobe.py")], {**env, "MEMPROBE_OUT": str(probe / f"{name}.jsonl")}


@contextmanager
def deployed(
    url: str,
    workdir: Path,
    *,
    api: int,
    workers: int,
    api_processes: int,
    probe: Path | None = None,
    server_env: dict[str, str] | None = None,
) -> Iterator[Deployment]:
    """`api` serve processes (with the worker thread inside when `workers` is 0) and `workers` workers."""
    env = {
        **os.environ,
        **(server_env or {}),
        "MARKAZ_DATABASE_URL": url,
        "MARKAZ_SECRET_KEY": SECRET,
        "MARKAZ_RATE_LIMIT_PROCESSES": str(api_processes),
    }
    processes: dict[str, subprocess.Popen[bytes]] = {}
    logs: list[Path] = []
    bases: list[str] = []
    try:
        for i in range(api):
            port = free_port()
            log = workdir / f"serve-{i}.log"
            logs.append(log)
            markaz, penv = _command(f"serve-{i}", probe, env)
            command = [*markaz, "serve", "--port", str(port)] + (["--no-worker"] if workers else [])
            with log.open("w") as out:
                processes[f"serve-{i}"] = subprocess.Popen(
                    command, stdout=out, stderr=subprocess.STDOUT, env=penv
                )
            bases.append(f"http://127.0.0.1:{port}")
        for i in range(workers):
            log = workdir / f"worker-{i}.log"
            logs.append(log)
            markaz, penv = _command(f"worker-{i}", probe, env)
            with log.open("w") as out:
                processes[f"worker-{i}"] = subprocess.Popen(
                    [*markaz, "worker"], stdout=out, stderr=subprocess.STDOUT, env=penv
                )
        for i, base in enumerate(bases):
            _wait_serving(base, processes[f"serve-{i}"], logs[i])
        yield Deployment(bases, processes, logs)
    finally:
        for proc in processes.values():
            proc.terminate()
        for proc in processes.values():
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def preload(base: str, tokens: list[str], reports: int, seed: int) -> None:
    """Reports already stored before the load starts, so reads have something to search."""
    rng = random.Random(seed)
    with httpx.Client(base_url=base, timeout=300) as http:
        for k, start in enumerate(range(0, reports, 500)):
            body = [_report(rng) for _ in range(min(500, reports - start))]
            r = http.post(
                "/api/v1/reports:batch",
                json=body,
                headers={"Authorization": f"Bearer {tokens[k % len(tokens)]}"},
            )
            if r.status_code != 200 or r.json()["created"] != len(body):
                raise SystemExit(f"preloading failed: HTTP {r.status_code}: {r.text[:500]}")


def _growth(end: dict[str, float | None], base: dict[str, float | None]) -> dict[str, float | None]:
    return {
        name: round((value - b) / b, 4) if value and b else None
        for name, value in end.items()
        for b in [base.get(name)]
    }


def memory_table(
    memory_mb: dict[str, dict[str, float | None]], growth: dict[str, dict[str, float | None]]
) -> str:
    """Start, after warm-up, end and growth per process, for people (the JSON has the same)."""
    head = f"{'process':<10} {'start MB':>9} {'warm MB':>9} {'end MB':>9} {'vs start':>9} {'vs warm':>9}"
    rows = [head]
    for name in memory_mb["end"]:
        values = [memory_mb[k].get(name) for k in ("start", "after_warmup", "end")]
        changes = [growth[k].get(name) for k in ("from_start", "from_warmup")]
        rows.append(
            f"{name:<10} "
            + " ".join(f"{v:>9.1f}" if v is not None else f"{'gone':>9}" for v in values)
            + " "
            + " ".join(f"{c:>+9.1%}" if c is not None else f"{'-':>9}" for c in changes)
        )
    return "\n".join(rows)


def settled(deployment: Deployment, steady: float = 0.02, within: float = 90) -> dict[str, float | None]:
    """Memory once every process has finished starting: no RSS moved by more than 2% in 2 s
    (the workers load the extractor's gazetteer after they say they run)."""
    before = memory(deployment)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        time.sleep(2)
        now = memory(deployment)
        if all(
            v and before.get(k) and abs(v - b) <= steady * b for k, v in now.items() for b in [before[k] or 0]
        ):
            return now
        before = now
    return before


def backlog(db: Database) -> int:
    """Work the workers have not done yet: observations above fusion's watermark, jobs queued
    or running, and outbox rows not yet fanned out."""
    with db.read() as conn:
        watermark = conn.execute(select(fusion_state.c.watermark)).scalar_one()
        counts = (
            select(func.count()).select_from(observations).where(observations.c.id > watermark),
            select(func.count()).select_from(jobs).where(jobs.c.state.in_(("queued", "running"))),
            select(func.count()).select_from(outbox).where(outbox.c.state == "queued"),
        )
        return sum(conn.execute(q).scalar_one() for q in counts)


def at_rest(deployment: Deployment, url: str, within: float = 600) -> dict[str, float | None]:
    """Memory with no request in flight and the workers caught up (no backlog), once it has
    settled: what the processes keep, without what they are working on at the moment."""
    db = Database(url)
    try:
        deadline = time.monotonic() + within
        while backlog(db) and time.monotonic() < deadline:
            time.sleep(1)
    finally:
        db.engine.dispose()
    time.sleep(4)  # the trimming thread's rounds: young garbage collected, freed memory handed back
    return settled(deployment)


def _ranges(
    samples: list[tuple[float, dict[str, float | None]]], start: float, end: float
) -> dict[str, list[float] | None]:
    """[lowest, highest] RSS of each process over the samples taken from `start` to `end` s."""
    picked = [m for t, m in samples if start <= t <= end]
    names = picked[0].keys() if picked else []
    out: dict[str, list[float] | None] = {}
    for name in names:
        values = [v for m in picked if (v := m.get(name)) is not None]
        out[name] = [min(values), max(values)] if values else None
    return out


def _medians(
    samples: list[tuple[float, dict[str, float | None]]], start: float, end: float
) -> dict[str, float | None]:
    """Median RSS of each process over the samples taken from `start` to `end` s.

    A single sample of a server under load lands at a random moment of its requests and
    batches (the SQLite server's in-flight allocations alone swing by 50 MB from one 10 s
    sample to the next); a minute's median says where its memory sits.
    """
    picked = [m for t, m in samples if start <= t <= end]
    names = picked[0].keys() if picked else []
    out: dict[str, float | None] = {}
    for name in names:
        values = [v for m in picked if (v := m.get(name)) is not None]
        out[name] = round(statistics.median(values), 1) if values else None
    return out


def measure(deployment: Deployment, url: str, tokens: list[str], args: argparse.Namespace) -> dict[str, Any]:
    # "Start": the processes have started and done nothing yet.
    at_start = settled(deployment)
    preload(deployment.bases[0], tokens, args.preload, args.seed)
    # A short warm-up (imports, statement caches, the gazetteer in the workers) before measuring.
    asyncio.run(_load(deployment.bases, tokens, args.warmup, args.seed + 1))
    if args.soak:
        return soak(deployment, url, tokens, args, at_start)
    warm = memory(deployment)
    stats, elapsed = asyncio.run(_load(deployment.bases, tokens, args.duration, args.seed + 2))
    result = summary(stats, elapsed)
    end = memory(deployment)
    memory_mb = {"start": at_start, "after_warmup": warm, "end": end}
    growth = {"from_start": _growth(end, at_start), "from_warmup": _growth(end, warm)}
    result["memory_mb"] = memory_mb
    result["memory_growth"] = growth
    result["exited"] = exited(deployment)
    print(memory_table(memory_mb, growth), file=sys.stderr)
    return result


def soak(
    deployment: Deployment,
    url: str,
    tokens: list[str],
    args: argparse.Namespace,
    at_start: dict[str, float | None],
) -> dict[str, Any]:
    """`--settle` seconds of the load to warm up, memory at rest, `--soak` seconds of the load
    sampled every `--sample-every` seconds, memory at rest again.

    The target (at most 10% growth over the soak) is checked at rest, before and after: a
    sample under load lands at a random moment of the requests and fusion runs in flight, and
    the SQLite server's in-flight memory alone moves by 40-80 MB between two samples 10 s
    apart, more than the 10% being looked for. At rest, what a process keeps is what it
    would keep for good: caches, pools, arenas, leaks. The first start-up sample is no
    baseline (the warm-up fills caches, pools and arenas), and the samples under load (the
    end sample, the medians of the first and last minute, the lowest and highest of the
    first and last two minutes) are printed beside it.
    """
    asyncio.run(_load(deployment.bases, tokens, args.settle, args.seed + 3))
    before = at_rest(deployment, url)
    samples: list[tuple[float, dict[str, float | None]]] = []
    next_sample = [0.0]

    def tick(elapsed: float) -> None:
        if elapsed >= next_sample[0]:
            samples.append((round(elapsed), memory(deployment)))
            next_sample[0] += args.sample_every

    stats, elapsed = asyncio.run(_load(deployment.bases, tokens, args.soak, args.seed + 2, on_tick=tick))
    end = memory(deployment)
    rest_started = time.monotonic()
    after = at_rest(deployment, url)
    result = summary(stats, elapsed)
    result["seconds_to_rest_after_the_soak"] = round(time.monotonic() - rest_started, 1)
    medians = {
        "first_minute": _medians(samples, 0, 60),
        "last_minute": _medians(samples, elapsed - 60, elapsed),
    }
    memory_mb = {"start": at_start, "at_rest_before": before, "end_under_load": end, "at_rest_after": after}
    growth = {
        "at_rest": _growth(after, before),
        "from_start": _growth(after, at_start),
        "under_load_single_samples": _growth(end, samples[0][1] if samples else before),
        "under_load_medians": _growth(medians["last_minute"], medians["first_minute"]),
    }
    result["memory_mb"] = memory_mb
    result["memory_growth"] = growth
    result["memory_median_mb"] = medians
    result["memory_range_mb"] = {
        "first_two_minutes": _ranges(samples, 0, 120),
        "last_two_minutes": _ranges(samples, elapsed - 120, elapsed),
    }
    result["warmup_seconds"] = args.settle
    result["memory_samples"] = samples
    result["soak_limit"] = SOAK_LIMIT
    result["exited"] = exited(deployment)
    result["soak_ok"] = not result["exited"] and all(
        g is not None and g <= SOAK_LIMIT for g in growth["at_rest"].values()
    )
    print(soak_table(memory_mb, growth, result["memory_range_mb"], medians), file=sys.stderr)
    return result


def soak_table(
    memory_mb: dict[str, dict[str, float | None]],
    growth: dict[str, dict[str, float | None]],
    ranges: dict[str, dict[str, list[float] | None]],
    medians: dict[str, dict[str, float | None]],
) -> str:
    """The soak's memory per process, for people (the JSON has the same)."""

    def mb(v: float | None) -> str:
        return f"{v:>8.1f}" if v is not None else f"{'gone':>8}"

    def pct(v: float | None) -> str:
        return f"{v:>+8.1%}" if v is not None else f"{'-':>8}"

    rows = [
        f"{'process':<10} {'start':>8} {'rest':>8} {'rest':>8} {'growth':>8}   under load: "
        f"{'median':>8} {'median':>8} {'growth':>8}  {'range':>9}  {'range':>9}",
        f"{'':<10} {'':>8} {'before':>8} {'after':>8} {'at rest':>8}   {'':>12}"
        f"{'1st min':>8} {'last min':>8} {'':>8}  {'1st 2 min':>9}  {'last 2 min':>9}",
    ]
    for name in memory_mb["at_rest_after"]:
        first, last = medians["first_minute"].get(name), medians["last_minute"].get(name)
        spans = [ranges[k].get(name) for k in ("first_two_minutes", "last_two_minutes")]
        rows.append(
            f"{name:<10} {mb(memory_mb['start'].get(name))} {mb(memory_mb['at_rest_before'].get(name))} "
            f"{mb(memory_mb['at_rest_after'].get(name))} {pct(growth['at_rest'].get(name))}   {'':>12}"
            f"{mb(first)} {mb(last)} {pct(growth['under_load_medians'].get(name))}  "
            + "  ".join(f"{f'{sp[0]:.0f}-{sp[1]:.0f}':>9}" if sp else f"{'-':>9}" for sp in spans)
        )
    return "\n".join(rows)


def _deployment(
    args: argparse.Namespace, url: str, workdir: Path, engine: str, *, api: int, workers: int
) -> AbstractContextManager[Deployment]:
    """`deployed` with the command line's probe folder and server environment."""
    return deployed(
        url,
        workdir,
        api=api,
        workers=workers,
        api_processes=api,
        probe=args.probe / engine if args.probe else None,
        server_env=args.server_env,
    )


def run_sqlite(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    url = f"sqlite:///{workdir / 'load.db'}"
    tokens = setup(url, args.clients)
    with _deployment(args, url, workdir, "sqlite", api=1, workers=0) as deployment:
        result = measure(deployment, url, tokens, args)
    return {"engine": "sqlite", "layout": "one markaz serve (worker thread inside)", **result}


def run_postgresql(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    with throwaway_cluster() as cluster:
        url = cluster.create_database("markaz_load")
        tokens = setup(url, args.clients)
        with _deployment(args, url, workdir, "postgresql", api=2, workers=2) as deployment:
            result = measure(deployment, url, tokens, args)
    return {
        "engine": "postgresql",
        "layout": "two markaz serve --no-worker (clients alternate), two markaz worker",
        **result,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20, help="seconds of measured load (the issue: 60)")
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--preload", type=int, default=2000, help="reports stored before the load")
    parser.add_argument("--soak", type=float, default=0, help="seconds of soak (600: ten minutes)")
    parser.add_argument("--sample-every", type=float, default=10)
    parser.add_argument(
        "--settle",
        type=float,
        default=60,
        help="seconds of load that warm a soak up before its memory at rest",
    )
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument(
        "--subjects", type=int, default=2, help="how many groups the reports' observations name"
    )
    parser.add_argument("--output", type=Path)
    parser.add_argument(
        "--probe",
        type=Path,
        help="run each process under bench/_memprobe.py, writing its memory samples into this folder",
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set this in the environment of the markaz processes only (not the load generator's)",
    )
    args = parser.parse_args()
    try:
        args.server_env = dict(item.split("=", 1) for item in args.server_env)
    except ValueError:
        parser.error("--server-env takes NAME=VALUE")
    SUBJECTS[:] = [f"Group {k + 1} (synthetic)" for k in range(args.subjects)] + [None]
    out: dict[str, Any] = {
        "benchmark": "load",
        "mix": dict(MIX),
        "batch_size": BATCH,
        "clients": args.clients,
        "subjects": args.subjects,
        "server_env": args.server_env,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "note": "the load generator runs on the same cores as the servers; other work may be running",
        },
        "runs": [],
    }
    with tempfile.TemporaryDirectory(prefix="markaz-load-") as tmp:
        workdir = Path(tmp)
        if args.engine in ("sqlite", "both"):
            (workdir / "sqlite").mkdir()
            out["runs"].append(run_sqlite(args, workdir / "sqlite"))
        if args.engine in ("postgresql", "both"):
            (workdir / "postgresql").mkdir()
            os.chmod(workdir, 0o755)
            out["runs"].append(run_postgresql(args, workdir / "postgresql"))
    text = orjson.dumps(out, option=orjson.OPT_INDENT_2).decode()
    print(text)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n")
    failed = any(run["errors"] or run["exited"] or not run.get("soak_ok", True) for run in out["runs"])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
