"""Run a `markaz` command with a memory probe: where a process's memory goes, sampled over time.

`python bench/_memprobe.py serve ...` runs `markaz serve ...` exactly as the console script
does, plus a daemon thread that appends one JSON line every MEMPROBE_EVERY seconds to
MEMPROBE_OUT: resident memory split into anonymous and file-backed pages, and the anonymous
part by owner (glibc's heaps, thread stacks, the rest: Python's own allocator and mmapped
blocks), what glibc's malloc holds (in use and free inside its arenas), Python's small-object
allocator (arenas and blocks in use), what SQLite's allocator holds (its page caches), what
tracemalloc sees Python allocate (with MEMPROBE_TRACE=1, frames deep), the garbage
collector's generations, the thread count, and the database connections opened (and by
which thread and call). With tracing on, it also dumps a tracemalloc snapshot at each sample
so two moments can be diffed (`bench/memdiff.py`). Knobs for experiments: MEMPROBE_TRIM=1
also records resident memory just after a malloc_trim, MEMPROBE_SQLITE_POOL=N sets the
SQLite server's requests at once (a pooled connection each),
MEMPROBE_FUSION_BATCH=N the observations the worker loop fuses per run and
MEMPROBE_SQLITE_CACHE_KIB=N each pooled SQLite connection's page cache and
MEMPROBE_MMAP_THRESHOLD_KIB=N glibc's fixed mmap threshold (M_MMAP_THRESHOLD); with
MEMPROBE_TYPES=N each sample also lists the N commonest types among the oldest generation's
objects (what outlives the young collections). Used by
`bench/load.py --probe` to find out why a soak grows; never in production.
"""

from __future__ import annotations

import collections
import ctypes
import ctypes.util
import gc
import json
import os
import sys
import threading
import time
import traceback
import tracemalloc
from collections import Counter
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


_THREAD_STACK_KIB = 8192  # pthread's default stack, a mapping of its own
_ARENA_ALIGN = 64 * 2**20  # glibc's thread arenas are heaps of at most 64 MiB, aligned to it


def _smaps_split() -> dict[str, float]:
    """Resident anonymous memory by owner, from /proc/self/smaps.

    glibc's main arena is `[heap]`; its thread arenas are mappings aligned to 64 MiB; the rest
    of the anonymous memory is Python's own allocator (1 MiB arenas), thread stacks and large
    blocks that malloc mmapped. mallinfo2's "free" counts pages malloc_trim has handed back,
    which are no longer resident: these figures are what the heaps actually occupy.
    """
    heaps = stacks = other = 0
    start = size = 0
    name = ""
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split(None, 5)
        if "-" in head[0] and not head[0].endswith(":"):
            start = int(head[0].split("-")[0], 16)
            name = head[5] if len(head) > 5 else ""
        elif head[0] == "Size:":
            size = int(head[1])
        elif head[0] == "Anonymous:":
            kib = int(head[1])
            if name == "[heap]" or (not name and start % _ARENA_ALIGN == 0):
                heaps += kib
            elif name == "[stack]" or (not name and size == _THREAD_STACK_KIB):
                stacks += kib
            elif not name:
                other += kib
    return {
        "malloc_heaps_rss_mb": round(heaps / 1024, 1),
        "thread_stacks_rss_mb": round(stacks / 1024, 1),
        "other_anon_rss_mb": round(other / 1024, 1),
    }


def _pymalloc() -> dict[str, float]:
    """Python's small-object allocator: its arenas in all, and the blocks in use in them.

    sys._debugmallocstats() is the only interface and writes to the C stderr, so stderr is
    pointed at a file for the call (the probe's own thread; others' output of that moment
    is lost).
    """
    import tempfile

    with tempfile.TemporaryFile() as f:
        saved = os.dup(2)
        try:
            os.dup2(f.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        f.seek(0)
        text = f.read().decode(errors="replace")
    wanted = {
        "# bytes in allocated blocks": "pymalloc_in_use_mb",
        "# bytes in available blocks": "pymalloc_free_mb",
        "# arenas allocated current": "pymalloc_arenas",
        "Total": "pymalloc_total_mb",
    }
    out: dict[str, float] = {}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        name = wanted.get(key.strip())
        if name and name not in out:  # the first "Total" is the arenas'; a later one the map's
            number = int(value.strip().replace(",", ""))
            out[name] = number if name == "pymalloc_arenas" else round(number / 2**20, 1)
    return out


# Database connections opened and closed by every pool of the process (connection churn).
_connections = {"opened": 0, "closed": 0}


_opened_by: Counter[str] = Counter()


def _count_connections() -> None:
    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    def opened(*_args: Any) -> None:
        _connections["opened"] += 1
        # Who needed a connection the pool did not have: the thread and its markaz frames.
        frames = [
            f"{Path(frame.filename).stem}.{frame.name}"
            for frame in traceback.extract_stack()
            if f"{os.sep}markaz{os.sep}" in frame.filename
        ]
        _opened_by[f"{threading.current_thread().name}: {' > '.join(frames[-4:])}"] += 1

    def closed(*_args: Any) -> None:
        _connections["closed"] += 1

    event.listen(Pool, "connect", opened)
    event.listen(Pool, "close", closed)


# The distinct SQL texts the process has sent (each one a prepared statement in every
# connection's statement cache that meets it); written beside the samples (NAME.sql).
_statements: set[str] = set()


def _count_statements() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def executing(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        _statements.add(statement)

    event.listen(Engine, "before_cursor_execute", executing)


def _oldest_generation_types(top: int) -> dict[str, int]:
    """The commonest types among the objects of the collector's oldest generation."""
    counts = collections.Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects(2))
    return dict(counts.most_common(top))


def sample(libc: Any, sqlite: Any, started: float) -> dict[str, Any]:
    info = libc.mallinfo2()
    record: dict[str, Any] = {
        "t": round(time.monotonic() - started, 1),
        **_status(),
        **_smaps_split(),
        **_pymalloc(),
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
        "connections_opened_by": dict(_opened_by.most_common(8)),
        "distinct_sql": len(_statements),
    }
    if top := int(os.environ.get("MEMPROBE_TYPES", "0")):
        record["oldest_generation_types"] = _oldest_generation_types(top)
    if tracemalloc.is_tracing():
        current, peak = tracemalloc.get_traced_memory()
        record["python_traced_mb"] = round(current / 2**20, 1)
        record["python_traced_peak_mb"] = round(peak / 2**20, 1)
    return record


def _probe(out: Path, every: float, snapshots: Path | None, trim: bool) -> None:
    libc, sqlite = _libc(), _sqlite()
    started = time.monotonic()
    n = 0
    while True:
        record = sample(libc, sqlite, started)
        if snapshots is not None:
            name = snapshots / f"{os.getpid()}-{n:04d}.snapshot"
            tracemalloc.take_snapshot().dump(str(name))
            record["snapshot"] = str(name)
        if trim:
            # What malloc_trim would hand back now: resident memory just after one.
            libc.malloc_trim(0)
            record["rss_after_trim_mb"] = _status()["rss_mb"]
            record.update({k + "_after_trim": v for k, v in _smaps_split().items()})
        with out.open("a") as f:
            f.write(json.dumps(record) + "\n")
        out.with_suffix(".sql").write_text("\n\n".join(sorted(_statements)))
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
    from markaz.cli import main as run_markaz

    _count_connections()
    _count_statements()
    if pool := os.environ.get("MEMPROBE_SQLITE_POOL"):
        # An experiment's knob: the SQLite server's requests at once (connections kept).
        from markaz.storage import database

        database.SQLITE_POOL = int(pool)
    if batch := os.environ.get("MEMPROBE_FUSION_BATCH"):
        # An experiment's knob: observations the worker loop fuses per run.
        markaz.cli.worker.FUSION_BATCH = int(batch)
    if cache := os.environ.get("MEMPROBE_SQLITE_CACHE_KIB"):
        # An experiment's knob: each pooled SQLite connection's page cache.
        from markaz.storage import database, fusion_graph

        database.SQLITE_CACHE_KIB = fusion_graph.SQLITE_CACHE_KIB = int(cache)
    if threshold := os.environ.get("MEMPROBE_MMAP_THRESHOLD_KIB"):
        # An experiment's knob: blocks from this size up mapped on their own (and unmapped when
        # freed) instead of cut from the heap; a fixed threshold also stops glibc raising it.
        _libc().mallopt(-3, int(threshold) * 1024)  # -3: M_MMAP_THRESHOLD
    if frames:
        tracemalloc.start(frames)
        snapshots = out.with_suffix(".snapshots")
        snapshots.mkdir(exist_ok=True)
    threading.Thread(
        target=_probe,
        args=(out, every, snapshots, os.environ.get("MEMPROBE_TRIM") == "1"),
        name="memprobe",
        daemon=True,
    ).start()

    sys.argv = ["markaz", *sys.argv[1:]]
    run_markaz()


if __name__ == "__main__":
    main()
