"""Benchmarks the extraction engine: cold build, start-up with a warm cache, paragraphs/s (JSON)."""

from __future__ import annotations

import io
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "processing" / "eval" / "eval.jsonl"
SEEDS = ROOT.parent / "shared" / "seeds"

_STARTUP = """
import ctypes, gc, re, time, sys
from pathlib import Path
t0 = time.perf_counter()
from markaz.processing import get_extractor, gazetteer_cache
if sys.argv[2] == "in-process":  # what a missing cache cost before the child built it
    gazetteer_cache._build_in_child = lambda *_: False
extractor = get_extractor(Path(sys.argv[1]))
# Few function words: the language shortcut cannot decide, so lingua's models load too.
extractor.extract("Raqqa convoy 35.9528, 39.0124, 12/09/2015")
seconds = time.perf_counter() - t0
# What the process keeps afterwards, once garbage and free heap pages are gone (as a
# server's trimming thread leaves it).
gc.collect()
ctypes.CDLL("libc.so.6").malloc_trim(0)
status = open("/proc/self/status").read()
print(seconds, int(re.search(r"VmRSS:\\s+(\\d+)", status).group(1)) / 1024)
"""


def _startup(cache_dir: Path, build: str = "child") -> tuple[float, float, float]:
    """(in-process seconds: import + load/build + first extraction, wall seconds incl. python,
    resident MB afterwards)."""
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _STARTUP, str(cache_dir), build],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    seconds, rss = out.strip().splitlines()[-1].split()
    return float(seconds), time.perf_counter() - t0, float(rss)


def _paragraphs(n: int, seed: int = 1) -> list[str]:
    """Realistic 300-600 character paragraphs: eval sentences of one language, seed excerpts."""
    rng = random.Random(seed)
    by_lang: dict[str, list[str]] = {}
    for line in EVAL.read_bytes().splitlines():
        item = orjson.loads(line)
        by_lang.setdefault(item["id"][:2], []).append(item["text"])
    pieces = [
        p.strip()
        for f in sorted(SEEDS.glob("*.txt"))
        for p in f.read_text(encoding="utf-8").split("\n")
        if len(p.strip()) > 80
    ]
    out: list[str] = []
    while len(out) < n:
        if pieces and rng.random() < 0.25:
            para = rng.choice(pieces)[:600]
        else:
            sentences = by_lang[rng.choice(sorted(by_lang))]
            para, target = "", rng.randint(300, 600)
            while len(para) < target:
                para += rng.choice(sentences) + " "
            para = para[:600]
        if len(para) >= 300:
            out.append(para)
    return out


def _throughput(cache_dir: Path, n: int = 3000) -> dict[str, float]:
    from markaz.cli.extract import run_extract
    from markaz.processing import get_extractor

    extractor = get_extractor(cache_dir)
    paras = _paragraphs(n)
    data = b"\n".join(orjson.dumps({"id": i, "text": p}) for i, p in enumerate(paras))
    warm = b"\n".join(data.split(b"\n")[:300])
    run_extract(warm, jsonl=True, extractor=extractor, out=io.BytesIO())
    out = io.BytesIO()
    t0 = time.perf_counter()
    run_extract(data, jsonl=True, extractor=extractor, out=out)
    elapsed = time.perf_counter() - t0
    return {
        "paragraphs": n,
        "mean_chars": round(sum(map(len, paras)) / n, 1),
        "seconds": round(elapsed, 3),
        "paragraphs_per_second": round(n / elapsed, 1),
    }


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as promised
    with tempfile.TemporaryDirectory(prefix="markaz-bench-") as tmp:
        cache_dir = Path(tmp)
        cold_inner, cold_wall, cold_rss = _startup(cache_dir)
        warm = [_startup(cache_dir) for _ in range(3)]
        with tempfile.TemporaryDirectory(prefix="markaz-bench-") as other:
            in_process_inner, _, in_process_rss = _startup(Path(other), "in-process")
        report = {
            "machine": {
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
            },
            "cold_cache_build_s": round(cold_inner, 3),
            "cold_cache_build_wall_s": round(cold_wall, 3),
            # Resident memory the process keeps after starting: the cache built by a child
            # (what markaz does), built in the process itself (what it did), or loaded.
            "cold_cache_rss_mb": round(cold_rss, 1),
            "cold_cache_in_process_build_s": round(in_process_inner, 3),
            "cold_cache_in_process_rss_mb": round(in_process_rss, 1),
            "startup_s": round(min(w[0] for w in warm), 3),
            "startup_wall_s": round(min(w[1] for w in warm), 3),
            "startup_rss_mb": round(min(w[2] for w in warm), 1),
            "cache_bytes": sum(p.stat().st_size for p in cache_dir.iterdir()),
            "throughput": _throughput(cache_dir),
            "targets": {"startup_s": 2.0, "paragraphs_per_second": 1000},
        }
    sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
