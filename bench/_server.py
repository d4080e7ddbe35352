"""Run `markaz` commands and start and stop a real `markaz serve` process for the benchmarks."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def _markaz_command() -> list[str]:
    """The `markaz` console script of the running interpreter's venv, else `python -m markaz`."""
    script = Path(sys.executable).parent / "markaz"
    if script.exists():
        return [str(script)]
    found = shutil.which("markaz")
    return [found] if found else [sys.executable, "-m", "markaz"]


MARKAZ = _markaz_command()


def markaz(*args: str, url: str) -> str:
    """Run one `markaz` command against `url`; its stdout, or exit with its stderr."""
    out = subprocess.run([*MARKAZ, *args, "--database-url", url], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"markaz {' '.join(args)} failed ({out.returncode}): {out.stderr.strip()}")
    return out.stdout


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextmanager
def served(
    url: str,
    log: Path,
    *,
    workers: int = 1,
    host: str = "127.0.0.1",
    timeout: float = 30,
    extra: tuple[str, ...] = (),
) -> Iterator[str]:
    """A `markaz serve` process on a free port, answering /healthz; terminated on exit."""
    port = free_port(host)
    command = [*MARKAZ, "serve", "--database-url", url, "--host", host, "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    command += extra  # e.g. ("--no-worker",)
    with log.open("w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://{host}:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None:
                    raise SystemExit(f"markaz serve exited ({proc.returncode}): {log.read_text()}")
                if time.monotonic() > deadline:
                    raise SystemExit(
                        f"markaz serve did not answer /healthz within {timeout:.0f} s: {log.read_text()}"
                    )
                time.sleep(0.1)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
