"""Benchmarks the per-token rate limiter: cost per request and database transactions (JSON)."""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

import orjson

from markaz.security.ratelimit import RateLimiter
from markaz.storage.database import Database
from markaz.storage.migrate import upgrade


def run(db: Database, name: str, *, tokens: int, requests: int, limit: int, threads: int) -> dict[str, float]:
    limiter = RateLimiter(db, limit, processes=4, sync_seconds=1.0)
    per_thread = requests // threads
    admitted = [0] * threads

    def worker(n: int) -> None:
        ok = 0
        for i in range(per_thread):
            ok += limiter.hit(f"{name}:{(i * 7 + n) % tokens}").allowed
        admitted[n] = ok

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    total = per_thread * threads
    return {
        "requests": total,
        "admitted": sum(admitted),
        "seconds": round(elapsed, 3),
        "microseconds_per_request": round(elapsed / total * 1e6, 2),
        "database_transactions": limiter.reconciliations,
        "transactions_per_1000_requests": round(limiter.reconciliations / total * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--output")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'rl.db'}"
        db = Database(url)
        upgrade(db)
        try:
            result = {
                "benchmark": "ratelimit",
                "engine": db.dialect.name,
                "cores": os.cpu_count(),
                "note": "in-process RateLimiter.hit, 4 threads; machine shared with other work",
                # A centre's normal case: many tokens, each well under its limit.
                "many_tokens_under_limit": run(
                    db, "light", tokens=200, requests=args.requests, limit=1_000_000, threads=4
                ),
                # One token hammering past its limit: leases shrink as the window fills.
                "one_token_over_limit": run(
                    db, "heavy", tokens=1, requests=args.requests, limit=20_000, threads=4
                ),
            }
        finally:
            db.dispose()
    text = orjson.dumps(result, option=orjson.OPT_INDENT_2).decode()
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
