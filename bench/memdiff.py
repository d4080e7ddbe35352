"""Read bench/_memprobe.py samples: memory by kind over time, and what Python allocated in between.

    python bench/memdiff.py PROBE/serve-0.jsonl                 # the samples as a table
    python bench/memdiff.py PROBE/serve-0.jsonl --diff 60 600   # tracemalloc: what grew, 60 s to 600 s

The diff needs samples taken with MEMPROBE_TRACE=N (N frames per allocation).
"""

from __future__ import annotations

import argparse
import json
import tracemalloc
from pathlib import Path
from typing import Any

COLUMNS = (
    "t",
    "rss_mb",
    "rss_anon_mb",
    "rss_file_mb",
    "malloc_in_use_mb",
    "malloc_free_held_mb",
    "malloc_mmapped_mb",
    "sqlite_mb",
    "python_traced_mb",
    "threads",
    "connections_opened",
)


def _nearest(samples: list[dict[str, Any]], t: float) -> dict[str, Any]:
    return min(samples, key=lambda s: abs(s["t"] - t))


def table(samples: list[dict[str, Any]]) -> None:
    print(" ".join(f"{c:>12}" for c in (*COLUMNS, "gc gens")))
    for s in samples:
        print(" ".join(f"{s.get(c, '-')!s:>12}" for c in COLUMNS), s.get("gc_tracked_by_generation"))


def diff(samples: list[dict[str, Any]], start: float, end: float, top: int, group: str) -> None:
    a, b = _nearest(samples, start), _nearest(samples, end)
    before = tracemalloc.Snapshot.load(a["snapshot"])
    after = tracemalloc.Snapshot.load(b["snapshot"])
    noise = [
        tracemalloc.Filter(False, tracemalloc.__file__),
        tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
    ]
    before, after = before.filter_traces(noise), after.filter_traces(noise)
    stats = after.compare_to(before, group)
    total = sum(s.size_diff for s in stats)
    print(f"t={a['t']} s -> t={b['t']} s: Python allocations changed by {total / 2**20:+.1f} MB")
    for stat in stats[:top]:
        now = stat.size / 2**20
        print(f"{stat.size_diff / 2**20:+8.2f} MB {stat.count_diff:+9d} blocks (now {now:.2f} MB)")
        for line in stat.traceback.format(limit=8):
            print("      " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("samples", type=Path)
    parser.add_argument("--diff", nargs=2, type=float, metavar=("FROM", "TO"))
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--group", choices=("lineno", "traceback", "filename"), default="traceback")
    args = parser.parse_args()
    samples = [json.loads(line) for line in args.samples.read_text().splitlines() if line.strip()]
    if args.diff:
        diff(samples, args.diff[0], args.diff[1], args.top, args.group)
    else:
        table(samples)


if __name__ == "__main__":
    main()
