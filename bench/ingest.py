"""Ingest benchmark: reports/s through POST /api/v1/reports:batch against a real server, and the floor."""

from __future__ import annotations

import argparse
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
from markaz.collection.intake import prepare
from markaz.domain.enums import MemberStatus, Role
from markaz.domain.models import ReportCreate
from markaz.storage.database import Database
from markaz.storage.members import member_codes
from markaz.storage.principals import Principal, find_principal
from markaz.storage.reports import insert_reports

BATCH = 1000
CATEGORIES = ("gathering", "position", "weapons_depot", "movement")


def synthetic(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        observations = []
        for _ in range(rng.choice((1, 2))):
            category = rng.choice(CATEGORIES)
            lon, lat = rng.uniform(36, 46), rng.uniform(32, 37)
            if category == "movement":
                geometry: dict[str, Any] = {
                    "type": "LineString",
                    "coordinates": [[lon, lat], [lon + rng.uniform(-0.3, 0.3), lat + rng.uniform(-0.3, 0.3)]],
                }
            else:
                geometry = {"type": "Point", "coordinates": [lon, lat]}
            observations.append({"category": category, "geometry": geometry})
        out.append(
            {
                "title": f"[SYNTHETIC] benchmark report {i}",
                "body": "Synthetic benchmark text. " * 8,
                "precedence": "ROUTINE",
                "source_reliability": rng.choice("ABCDEF"),
                "information_credibility": rng.choice("123456"),
                "releasable_to": rng.choice((["ALL"], ["IQ", "SY"])),
                "client_ref": f"bench-{i}",
                "observations": observations,
            }
        )
    return out


def setup(url: str) -> str:
    markaz("init", url=url)
    markaz("member", "add", "IQ", "--name", "Iraq", url=url)
    markaz("member", "add", "SY", "--name", "Syria", url=url)
    return markaz("token", "create", "--member", "IQ", "--expires", "1d", url=url).strip()


def http_rate(reports: list[dict[str, Any]], clients: int, workers: int, workdir: Path) -> float:
    url = f"sqlite:///{workdir / 'http.db'}"
    token = setup(url)
    bodies = [orjson.dumps(reports[i : i + BATCH]) for i in range(0, len(reports), BATCH)]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    errors: list[str] = []
    with served(url, workdir / "serve.log", workers) as base:
        # Warm-up on a separate small batch (first connection, first compiled statements).
        warm = orjson.dumps([{**synthetic(1)[0], "client_ref": "warm-up"}])
        httpx.post(f"{base}/api/v1/reports:batch", content=warm, headers=headers, timeout=60)
        lock = threading.Lock()
        queue = list(reversed(bodies))

        def worker() -> None:
            with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
                while True:
                    with lock:
                        if not queue:
                            return
                        body = queue.pop()
                    r = client.post("/api/v1/reports:batch", content=body)
                    if r.status_code != 200 or r.json()["created"] != BATCH:
                        errors.append(f"{r.status_code} {r.text[:200]}")

        threads = [threading.Thread(target=worker) for _ in range(clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"ingest failed: {errors[0]}")
    return len(reports) / elapsed


def floor_rate(reports: list[dict[str, Any]], workdir: Path) -> float:
    """The same rows straight into the same schema with executemany, one transaction per batch."""
    url = f"sqlite:///{workdir / 'floor.db'}"
    setup(url)
    db = Database(url)
    with db.read() as conn:
        row = find_principal(conn, "iq.system.analyst")
        assert row is not None
        known, active = member_codes(conn)
    principal = Principal(row["id"], row["username"], "IQ", Role.ANALYST, MemberStatus.ACTIVE)
    now = datetime.now(UTC)
    prepared = [
        prepare(ReportCreate.model_validate(r), principal, known=known, active=active, now=now)
        for r in reports
    ]
    start = time.perf_counter()
    for i in range(0, len(prepared), BATCH):
        with db.write() as conn:
            insert_reports(conn, db.dialect, prepared[i : i + BATCH], actor="bench")
    elapsed = time.perf_counter() - start
    db.dispose()
    return len(reports) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="markaz serve --workers")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    reports = synthetic(args.reports)
    with tempfile.TemporaryDirectory(prefix="markaz-bench-") as tmp:
        http = http_rate(reports, args.clients, args.workers, Path(tmp))
        floor = floor_rate(reports, Path(tmp))
    result = {
        "benchmark": "ingest",
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
        },
        "database": "sqlite",
        "reports": args.reports,
        "observations_per_report": "1 or 2",
        "batch_size": BATCH,
        "clients": args.clients,
        "server_processes": args.workers,
        "http_reports_per_s": round(http),
        "floor_reports_per_s": round(floor),
        "ratio_http_to_floor": round(http / floor, 3),
        "targets": {"http_reports_per_s": 10_000, "ratio_min": round(1 / 6, 4)},
        "met": {"http_reports_per_s": http >= 10_000, "ratio": http / floor >= 1 / 6},
    }
    text = orjson.dumps(result, option=orjson.OPT_INDENT_2).decode()
    print(text)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
