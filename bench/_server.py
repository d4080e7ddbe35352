"""Start and stop a real `markaz serve` process for the benchmarks."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

MARKAZ = [sys.executable, "-m", "markaz"]


def markaz(*args: str, url: str) -> str:
    out = subprocess.run([*MARKAZ, *args, "--database-url", url], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"markaz {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(url: str, log: Path, workers: int = 1) -> Iterator[str]:
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*MARKAZ, "serve", "--database-url", url, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"markaz serve did not start: {log.read_text()}")
                time.sleep(0.1)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=30)
