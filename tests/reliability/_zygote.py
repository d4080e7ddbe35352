"""A parent that has imported markaz once and forks each `markaz` process the tests start.

Started by `_processes` as `python tests/reliability/_zygote.py`; reads one JSON command per
line on stdin and answers one JSON line on stdout:

- `{"op": "start", "args": [...], "log": path, "err": path, "env": {...}, "cwd": path}` forks a
  child that runs `markaz ARGS` (the real command line, `markaz.cli.main`) with its output
  appended to `log` (its errors to `err` when given), and answers `{"pid": N}`.
- `{"op": "poll", "pid": N}` answers `{"status": S}`, the exit status as `subprocess` gives it
  (negative: killed by that signal), or `null` while the child runs.
- `{"op": "wait", "pid": N, "timeout": T}` the same, after waiting up to T seconds.

Each child is a separate process with its own database connections, threads and sockets,
killed with a real SIGKILL by the tests; what it does not repeat is Python's start-up and the
imports (about 1.5 s of CPU per process on the 2-core machine, paid 70 times by the
reliability tests). Nothing is open in the parent when it forks: no database, no thread.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from typing import Any


def _preload() -> None:
    # What `markaz serve` and `markaz worker` import, eagerly here or lazily at start-up.
    import uvicorn  # noqa: F401

    import markaz.analysis.fusion
    import markaz.app
    import markaz.cli
    import markaz.dissemination.worker
    import markaz.processing.suggest
    import markaz.security.http_guard
    import markaz.storage.migrate  # noqa: F401
    from markaz.processing.extractor import get_extractor

    get_extractor()  # what `markaz worker` loads at start: shared with every child


def _child(command: dict[str, Any]) -> None:
    """Runs in the forked child: become `markaz ARGS`, never return to the parent's loop."""
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        for fd, path in ((1, command["log"]), (2, command.get("err") or command["log"])):
            opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(opened, fd)
            os.close(opened)
        sys.stdout.reconfigure(write_through=True)  # type: ignore[union-attr]
        sys.stderr.reconfigure(write_through=True)  # type: ignore[union-attr]
        os.chdir(command["cwd"])
        os.environ.clear()
        os.environ.update(command["env"])
        sys.argv = ["markaz", *command["args"]]
        from markaz.cli import main

        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _status(pid: int, block: bool) -> int | None:
    done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
    return os.waitstatus_to_exitcode(status) if done else None


def _answer(value: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


def main() -> None:
    _preload()
    _answer({"ready": True})
    finished: dict[int, int] = {}
    children: list[int] = []
    for line in sys.stdin:
        command = json.loads(line)
        op = command["op"]
        if op == "start":
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                _child(command)
            children.append(pid)
            _answer({"pid": pid})
            continue
        pid = int(command["pid"])
        status = finished.get(pid)
        if status is None:
            deadline = time.monotonic() + float(command.get("timeout", 0)) if op == "wait" else 0.0
            while True:
                status = _status(pid, block=False)
                if status is not None or time.monotonic() >= deadline:
                    break
                time.sleep(0.01)
            if status is not None:
                finished[pid] = status
        _answer({"status": status})
    # The tests are done (stdin closed): nothing they started may outlive them, and every
    # child is reaped, so its CPU time counts in the test run's (`time pytest ...`).
    for pid in children:
        if pid not in finished:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
            except ProcessLookupError:
                pass


if __name__ == "__main__":
    main()
