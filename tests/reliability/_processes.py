"""Real `markaz serve` and `markaz worker` processes for the reliability tests: start, wait, kill."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

MARKAZ = [sys.executable, "-m", "markaz"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def markaz(*args: str, url: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run one `markaz` command against `url` and return what it printed."""
    out = subprocess.run(
        [*MARKAZ, *args, "--database-url", url],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    if check:
        assert out.returncode == 0, out.stderr
    return out


@dataclass
class Running:
    """A started `markaz` process and where its output goes."""

    proc: subprocess.Popen[bytes]
    log: Path
    base: str = ""

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill9(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed, exactly like a crash."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM, and wait for a clean exit (status 0): in-flight work finished, nothing left running."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise AssertionError(f"the process did not stop within {timeout} s of SIGTERM") from None
        assert code == 0, f"exit status {code}: {self.output()}"


def _start(args: list[str], log: Path, env: dict[str, str] | None = None) -> Running:
    out = log.open("ab")
    try:
        proc = subprocess.Popen(
            [*MARKAZ, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
    finally:
        out.close()
    return Running(proc, log)


def serve(
    url: str,
    log: Path,
    *,
    port: int | None = None,
    worker: bool = False,
    timeout: float = 60,
    env: dict[str, str] | None = None,
    wait: bool = True,
) -> Running:
    """`markaz serve` on 127.0.0.1 and a free port; with `wait`, once it answers /healthz."""
    port = port or free_port()
    args = ["serve", "--database-url", url, "--port", str(port)]
    if not worker:
        args.append("--no-worker")
    running = _start(args, log, env)
    running.base = f"http://127.0.0.1:{port}"
    if wait:
        wait_until_serving(running, timeout)
    return running


def wait_until_serving(running: Running, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{running.base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if running.proc.poll() is not None:
            raise AssertionError(f"markaz serve exited ({running.proc.returncode}): {running.output()}")
        if time.monotonic() > deadline:
            running.kill9()
            raise AssertionError(f"markaz serve did not answer within {timeout} s: {running.output()}")
        time.sleep(0.05)


# Short leases, polls and retries, so a killed worker's claims are taken over within the test.
FAST_DELIVERY = {
    "MARKAZ_DELIVERY_LEASE_SECONDS": "1",
    "MARKAZ_DELIVERY_POLL_MS": "20",
    "MARKAZ_DELIVERY_RETRY_BASE_SECONDS": "0.05",
    "MARKAZ_DELIVERY_RETRY_MAX_SECONDS": "0.2",
    "MARKAZ_WEBHOOK_TIMEOUT_SECONDS": "2",
    "MARKAZ_STREAM_POLL_MS": "50",
}


def worker(url: str, log: Path, env: dict[str, str] | None = None, *, ready: bool = False) -> Running:
    """`markaz worker` running until stopped; with `ready`, once it says it is running."""
    offset = log.stat().st_size if log.exists() else 0
    running = _start(["worker", "--database-url", url], log, env)
    if ready:
        wait_until_working(running, offset)
    return running


def wait_until_working(running: Running, offset: int = 0, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while "markaz worker running" not in running.log.read_text(errors="replace")[offset:]:
        if running.proc.poll() is not None:
            raise AssertionError(f"markaz worker exited ({running.proc.returncode}): {running.output()}")
        assert time.monotonic() < deadline, f"markaz worker did not start: {running.output()}"
        time.sleep(0.05)
