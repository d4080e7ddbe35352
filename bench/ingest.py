"""Ingest benchmark: reports/s through POST /api/v1/reports:batch on a real server, against the floor."""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import sqlite3
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import markaz, served
from markaz.cli.serve import tune_gc
from markaz.collection.intake import prepare
from markaz.domain.enums import MemberStatus, Role
from markaz.domain.models import ReportCreate
from markaz.storage.database import Database
from markaz.storage.members import member_codes
from markaz.storage.principals import Principal, find_principal
from markaz.storage.reports import PreparedReport, insert_reports

BATCH = 1000
CATEGORIES = ("gathering", "position", "weapons_depot", "movement")
TARGET_RATE = 10_000
TARGET_RATIO = round(1 / 6, 4)
# Words for synthetic bodies; varied so the search index sees a realistic spread of terms.
WORDS = (
    "convoy",
    "vehicles",
    "observed",
    "moving",
    "north",
    "along",
    "the",
    "main",
    "road",
    "near",
    "river",
    "crossing",
    "at",
    "dawn",
    "armed",
    "group",
    "gathering",
    "reported",
    "outside",
    "village",
    "checkpoint",
    "small",
    "arms",
    "heavy",
    "weapons",
    "depot",
    "position",
    "fortified",
    "trucks",
    "fuel",
    "supplies",
    "patrol",
    "border",
    "ridge",
    "sighting",
    "unconfirmed",
    "local",
    "source",
    "artillery",
    "mortar",
    "drone",
    "activity",
    "east",
    "west",
    "south",
    "district",
    "market",
    "bridge",
    "airfield",
    "warehouse",
)


def _text(rng: random.Random, length: int) -> str:
    words: list[str] = []
    size = 0
    while size < length:
        word = rng.choice(WORDS)
        words.append(word)
        size += len(word) + 1
    return " ".join(words).capitalize() + "."


def _clamp(value: float, low: float, high: float) -> float:
    return round(min(max(value, low), high), 6)


def synthetic(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """`n` reports, each with one or two observations inside lon 36..46, lat 32..37."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(n):
        observations = []
        for _ in range(rng.choice((1, 2))):
            category = rng.choice(CATEGORIES)
            lon, lat = round(rng.uniform(36, 46), 6), round(rng.uniform(32, 37), 6)
            geometry: dict[str, Any]
            if category == "movement":
                end = [
                    _clamp(lon + rng.uniform(-0.3, 0.3), 36, 46),
                    _clamp(lat + rng.uniform(-0.3, 0.3), 32, 37),
                ]
                geometry = {"type": "LineString", "coordinates": [[lon, lat], end]}
            else:
                geometry = {"type": "Point", "coordinates": [lon, lat]}
            observations.append({"category": category, "geometry": geometry})
        out.append(
            {
                "title": f"[SYNTHETIC] {rng.choice(WORDS)} {rng.choice(WORDS)} report {i}",
                "body": _text(rng, 200),
                "precedence": "ROUTINE",
                "releasable_to": rng.choice((["ALL"], ["IQ", "SY"])),
                "client_ref": f"bench-{i}",
                "observations": observations,
            }
        )
    return out


def setup(url: str) -> str:
    """Migrate a fresh database, add IQ and SY, and return an IQ analyst token."""
    markaz("init", url=url)
    markaz("member", "add", "IQ", "--name", "Iraq", url=url)
    markaz("member", "add", "SY", "--name", "Syria", url=url)
    token = markaz("token", "create", "--member", "IQ", "--expires", "1d", url=url).strip()
    if not token or len(token.split()) != 1:
        raise SystemExit(f"markaz token create printed no single token: {token!r}")
    return token


def _check(response: httpx.Response, size: int) -> str | None:
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:500]}"
    created = orjson.loads(response.content).get("created")
    if created != size:
        return f"created {created} of {size}: {response.text[:500]}"
    return None


def http_rate(
    reports: list[dict[str, Any]], clients: int, workers: int, workdir: Path, *, in_process_worker: bool
) -> float:
    """Reports/s posting pre-serialised batches from `clients` threads, one connection each."""
    url = f"sqlite:///{workdir / 'http.db'}"
    token = setup(url)
    batches = [reports[i : i + BATCH] for i in range(0, len(reports), BATCH)]
    bodies = [(len(b), orjson.dumps(b)) for b in batches]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    errors: list[str] = []
    lock = threading.Lock()
    pending = list(reversed(bodies))
    # Without the in-process worker the jobs (fusion, fan-out, extraction) wait durably in the
    # queue for a `markaz worker`, as in the production layout; with it, they share the cores.
    extra = () if in_process_worker else ("--no-worker",)
    with served(url, workdir / "serve.log", workers=workers, extra=extra) as base:
        # Warm-up (imports, compiled statements) with a report outside the measured set.
        warm = orjson.dumps([{**reports[0], "client_ref": "bench-warm-up"}])
        error = _check(
            httpx.post(f"{base}/api/v1/reports:batch", content=warm, headers=headers, timeout=60), 1
        )
        if error:
            raise SystemExit(f"warm-up batch failed: {error}")

        def worker() -> None:
            with httpx.Client(base_url=base, headers=headers, timeout=300) as client:
                while not errors:
                    with lock:
                        if not pending:
                            return
                        size, body = pending.pop()
                    try:
                        problem = _check(client.post("/api/v1/reports:batch", content=body), size)
                    except httpx.HTTPError as exc:
                        problem = f"{type(exc).__name__}: {exc}"
                    if problem:
                        errors.append(problem)

        threads = [threading.Thread(target=worker, name=f"client-{k}") for k in range(clients)]
        # The client's own heap (every report as dicts) is not scanned by the collector meanwhile.
        gc.collect()
        gc.freeze()
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        gc.unfreeze()
    if errors:
        raise SystemExit(f"ingest over HTTP failed: {errors[0]}")
    return len(reports) / elapsed


def floor_rate(reports: list[dict[str, Any]], workdir: Path) -> float:
    """Reports/s of `insert_reports` alone: the same rows, executemany, all in one transaction."""
    url = f"sqlite:///{workdir / 'floor.db'}"
    setup(url)  # the same principal (iq.system.analyst) the HTTP token stands for
    db = Database(url)
    thresholds = gc.get_threshold()
    try:
        with db.read() as conn:
            row = find_principal(conn, "iq.system.analyst")
            known, active = member_codes(conn)
        if row is None:
            raise SystemExit("the floor database has no iq.system.analyst principal")
        principal = Principal(row["id"], row["username"], "IQ", Role.ANALYST, MemberStatus.ACTIVE)
        now = datetime.now(UTC)
        prepared: list[PreparedReport] = [
            prepare(ReportCreate.model_validate(r), principal, known=known, active=active, now=now)
            for r in reports
        ]
        # The same collector settings as `markaz serve`, and the prepared batch kept out of it.
        tune_gc()
        start = time.perf_counter()
        with db.write() as conn:
            for i in range(0, len(prepared), BATCH):
                outcome = insert_reports(conn, db.dialect, prepared[i : i + BATCH], actor=principal.username)
                if outcome.existing:
                    raise SystemExit(
                        f"floor: {len(outcome.existing)} reports were unexpectedly already stored"
                    )
        elapsed = time.perf_counter() - start
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
        db.dispose()
    return len(reports) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=50_000, help="reports to ingest (default 50,000)")
    parser.add_argument("--clients", type=int, default=2, help="concurrent HTTP clients (threads)")
    parser.add_argument("--workers", type=int, default=1, help="markaz serve --workers")
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="serve without the in-process worker (queued jobs run later, by markaz worker)",
    )
    parser.add_argument("--output", type=Path, help="also write the JSON to this file")
    args = parser.parse_args()
    if args.reports < 1 or args.clients < 1 or args.workers < 1:
        parser.error("--reports, --clients and --workers must be positive")
    reports = synthetic(args.reports)
    with tempfile.TemporaryDirectory(prefix="markaz-bench-") as tmp:
        http = http_rate(reports, args.clients, args.workers, Path(tmp), in_process_worker=not args.no_worker)
        floor = floor_rate(reports, Path(tmp))
    ratio = http / floor
    result = {
        "benchmark": "ingest",
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
        },
        "database": "sqlite",
        "reports": args.reports,
        "batch_size": BATCH,
        "clients": args.clients,
        "server_processes": args.workers,
        "in_process_worker": not args.no_worker,
        "http_reports_per_s": round(http),
        "floor_reports_per_s": round(floor),
        "ratio_http_to_floor": round(ratio, 3),
        "targets": {"http_reports_per_s": TARGET_RATE, "ratio_min": TARGET_RATIO},
        "met": {"http_reports_per_s": http >= TARGET_RATE, "ratio_min": ratio >= TARGET_RATIO},
    }
    text = orjson.dumps(result, option=orjson.OPT_INDENT_2).decode()
    print(text)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
