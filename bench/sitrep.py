"""Benchmarks situation reports: building one member's report and rendering it (JSON figures)."""

from __future__ import annotations

import argparse
import platform
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson

from markaz.analysis import sitrep
from markaz.analysis.fusion import fuse_all
from markaz.centre import Centre
from markaz.demo import load_demo
from markaz.settings import Settings
from markaz.storage.migrate import upgrade


def _best(fn: object, runs: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=2000, help="synthetic demo reports to load")
    parser.add_argument("--runs", type=int, default=3, help="best of this many runs per figure")
    parser.add_argument("--output", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/bench.db", secret_key="bench-" + "x" * 32)
        centre = Centre(settings)
        upgrade(centre.db)
        t0 = time.perf_counter()
        load_demo(centre, reports=args.reports)
        fuse_all(centre)
        setup_s = time.perf_counter() - t0
        req = sitrep.parse_request(
            since=datetime(2026, 8, 1, tzinfo=UTC),
            until=datetime(2027, 1, 1, tzinfo=UTC),
            bbox=None,
            lang="ar",
            fmt="json",
        )
        build_s, data = _best(lambda: sitrep.build(centre, ["IQ"], req, fused_viewer="IQ"), args.runs)
        assert isinstance(data, dict)
        figures: dict[str, object] = {
            "benchmark": "sitrep",
            "machine": f"{platform.machine()}, {platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
            "2 cores shared with other work",
            "reports_loaded": args.reports,
            "setup_seconds": round(setup_s, 2),
            "observations_in_report": data["summary"]["observations"],
            "fused_sites": len(data["fused"]["sites"]),
            "fused_tracks": len(data["fused"]["tracks"]),
            "build_seconds": round(build_s, 3),
        }
        for fmt in ("json", "md", "html", "pdf"):
            seconds, content = _best(
                lambda fmt=fmt: sitrep.render(data, fmt), 1 if fmt == "pdf" else args.runs
            )
            figures[f"render_{fmt}_seconds"] = round(seconds, 3)
            figures[f"render_{fmt}_bytes"] = len(content) if isinstance(content, bytes) else None
        centre.close()
    text = orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode()
    print(text)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
