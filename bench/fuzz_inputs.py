"""Benchmarks the extractor on adversarial 100 KB inputs (the fuzz test's set): seconds each (JSON)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fuzz.test_fuzz_processing import ADVERSARIAL  # noqa: E402

from markaz.processing import get_extractor  # noqa: E402


def main() -> None:
    extractor = get_extractor()
    extractor.extract("warm up: Raqqa 35.95, 39.01 12/09/2015")
    seconds = {}
    for name, text in ADVERSARIAL.items():
        started = time.perf_counter()
        extractor.extract(text)
        seconds[name] = round(time.perf_counter() - started, 4)
    print(
        orjson.dumps(
            {
                "benchmark": "extractor_adversarial_100kb",
                "cores": os.cpu_count(),
                "note": "one 100,000-character input each; machine shared with other work",
                "target_seconds": 1.0,
                "max_seconds": max(seconds.values()),
                "seconds": seconds,
            },
            option=orjson.OPT_INDENT_2,
        ).decode()
    )


if __name__ == "__main__":
    main()
