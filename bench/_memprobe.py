"""Run a `markaz` command with a memory probe: where a process's memory goes, sampled over time.

`python bench/_memprobe.py serve ...` runs `markaz serve ...` exactly as the console script
does, plus a daemon thread that appends one JSON line every MEMPROBE_EVERY seconds to
MEMPROBE_OUT: resident memory split into anonymous and file-backed pages, what glibc's
malloc holds (in use and free inside its arenas), what SQLite's allocator holds (its page
caches), what tracemalloc sees Python allocate (with MEMPROBE_TRACE=1, frames deep), the
garbage collector's generations and the thread count. With tracing on, it also dumps a
tracemalloc snapshot at each sample so two moments can be diffed (`bench/memdiff.py`).
Used by `bench/load.py --probe` to find out why a soak grows; never in production.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import json
import os
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _libc() -> Any:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    return libc


def _sqlite() -> Any:
    import sqlite3  # noqa: F401  (loads the same libsqlite3 the driver uses)

    lib = ctypes.CDLL(ctypes.util.find_library("sqlite3") or "libsqlite3.so.0")
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    lib.sqlite3_memory_highwater.restype = ctypes.c_int64
    lib.sqlite3_memory_highwater.argtypes = [ctypes.c_int]
    return lib


def _status() -> dict[str, float]:
    wanted = {
        "VmRSS": "rss_mb",
        "RssAnon": "rss_anon_mb",
        "RssFile": "rss_file_mb",
        "RssShmem": "rss_shmem_mb",
    }
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in wanted:
            out[wanted[key]] = round(int(value.split()[0]) / 1024, 1)
    return out


# Database connections opened and closed by every pool of the process (connection churn).
_connections = {"opened": 0, "closed": 0}


def _count_connections() -> None:
    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    def opened(*_args: Any) -> None:
        _connections["opened"] += 1

    def closed(*_args: Any) -> None:
        _connections["closed"] += 1

    event.listen(Pool, "connect", opened)
    event.listen(Pool, "close", closed)


def sample(libc: Any, sqlite: Any, started: float) -> dict[str, Any]:
    info = libc.mallinfo2()
    record: dict[str, Any] = {
        "t": round(time.monotonic() - started, 1),
        **_status(),
        "malloc_in_use_mb": round(info.uordblks / 2**20, 1),
        "malloc_free_held_mb": round(info.fordblks / 2**20, 1),
        "malloc_mmapped_mb": round(info.hblkhd / 2**20, 1),
        "sqlite_mb": round(sqlite.sqlite3_memory_used() / 2**20, 1),
        "sqlite_highwater_mb": round(sqlite.sqlite3_memory_highwater(0) / 2**20, 1),
        "gc_count": gc.get_count(),
        "gc_tracked_by_generation": [len(gc.get_objects(g)) for g in range(3)],
        "gc_frozen": gc.get_freeze_count(),
        "threads": threading.active_count(),
        "connections_opened": _connections["opened"],
        "connections_closed": _connections["closed"],
    }
    if tracemalloc.is_tracing():
        current, peak = tracemalloc.get_traced_memory()
        record["python_traced_mb"] = round(current / 2**20, 1)
        record["python_traced_peak_mb"] = round(peak / 2**20, 1)
    return record


def _probe(out: Path, every: float, snapshots: Path | None) -> None:
    libc, sqlite = _libc(), _sqlite()
    started = time.monotonic()
    n = 0
    while True:
        record = sample(libc, sqlite, started)
        if snapshots is not None:
            name = snapshots / f"{os.getpid()}-{n:04d}.snapshot"
            tracemalloc.take_snapshot().dump(str(name))
            record["snapshot"] = str(name)
        with out.open("a") as f:
            f.write(json.dumps(record) + "\n")
        n += 1
        time.sleep(every)


def main() -> None:
    out = Path(os.environ["MEMPROBE_OUT"])
    every = float(os.environ.get("MEMPROBE_EVERY", "10"))
    snapshots = None
    frames = int(os.environ.get("MEMPROBE_TRACE", "0"))
    # Imported before tracing starts: importing is not what grows, and traced it takes minutes.
    import markaz.app
    import markaz.cli.worker
    from markaz.cli import main as markaz

    _count_connections()
    if frames:
        tracemalloc.start(frames)
        snapshots = out.with_suffix(".snapshots")
        snapshots.mkdir(exist_ok=True)
    threading.Thread(target=_probe, args=(out, every, snapshots), name="memprobe", daemon=True).start()

    sys.argv = ["markaz", *sys.argv[1:]]
    markaz()


if __name__ == "__main__":
    main()
