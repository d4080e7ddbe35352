"""Real `markaz serve` and `markaz worker` processes for the reliability tests: start, wait, kill."""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def markaz(*args: str, url: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run one `markaz` command against `url` as its own process and return what it printed."""
    with tempfile.TemporaryDirectory(prefix="markaz-cli-") as tmp:
        stdout, stderr = Path(tmp) / "stdout", Path(tmp) / "stderr"
        command = [*args, "--database-url", url]
        child = _LAUNCHER.start(command, stdout, {**os.environ, "PYTHONUNBUFFERED": "1"}, err=stderr)
        code = child.wait(timeout=120)
        out = subprocess.CompletedProcess(
            ["markaz", *command],
            code,
            stdout.read_text() if stdout.exists() else "",
            stderr.read_text() if stderr.exists() else "",
        )
    if check:
        assert out.returncode == 0, out.stderr
    return out


class _Launcher:
    """The tests' side of `_zygote.py`: one pre-imported parent per test session."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def _ask(self, command: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = subprocess.Popen(
                    [sys.executable, str(Path(__file__).with_name("_zygote.py"))],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                )
                atexit.register(self._close, self._proc)
                self._read()  # {"ready": true} once markaz is imported
            assert self._proc.stdin is not None
            self._proc.stdin.write(json.dumps(command) + "\n")
            self._proc.stdin.flush()
            return self._read()

    @staticmethod
    def _close(proc: subprocess.Popen[str]) -> None:
        """End of the session: the launcher kills and reaps what is left, then exits."""
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def _read(self) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        line = self._proc.stdout.readline()
        assert line, f"the process launcher exited ({self._proc.poll()})"
        answer: dict[str, Any] = json.loads(line)
        return answer

    def start(self, args: list[str], log: Path, env: dict[str, str], err: Path | None = None) -> Child:
        for path in (log, err):
            if path is not None:
                path.touch()  # there to read as soon as this returns, as with Popen
        command = {"op": "start", "args": args, "log": str(log), "err": str(err) if err else None}
        pid = self._ask({**command, "env": env, "cwd": os.getcwd()})["pid"]
        return Child(self, int(pid))

    def status(self, pid: int, timeout: float | None) -> int | None:
        if timeout is None:
            status = self._ask({"op": "poll", "pid": pid})["status"]
        else:
            status = self._ask({"op": "wait", "pid": pid, "timeout": timeout})["status"]
        return None if status is None else int(status)


_LAUNCHER = _Launcher()


class Child:
    """A forked `markaz` process, with the part of `subprocess.Popen` the tests use."""

    def __init__(self, launcher: _Launcher, pid: int) -> None:
        self._launcher = launcher
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._launcher.status(self.pid, None)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            # Asked in slices, so one long wait does not hold the launcher for everyone.
            deadline = None if timeout is None else time.monotonic() + timeout
            while self.returncode is None:
                left = 1.0 if deadline is None else min(1.0, deadline - time.monotonic())
                if left <= 0:
                    raise subprocess.TimeoutExpired(f"markaz (pid {self.pid})", timeout or 0)
                self.returncode = self._launcher.status(self.pid, left)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


@dataclass
class Running:
    """A started `markaz` process and where its output goes."""

    proc: Child
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
    """`markaz ARGS` as its own process, forked from the launcher (Python and markaz already
    imported: about 1.5 s of CPU less per process than `python -m markaz`)."""
    child = _LAUNCHER.start(args, log, {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
    return Running(child, log)


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
