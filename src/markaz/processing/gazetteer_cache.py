"""The compiled gazetteer on disk: cached by content hash, built once by a child process."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import ahocorasick

from markaz.processing import gazetteer
from markaz.processing.gazetteer import Gazetteer

log = logging.getLogger("markaz.gazetteer")


def default_cache_dir() -> Path:
    env = os.environ.get("MARKAZ_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "markaz"


def _write_atomic(path: Path, write: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_gazetteer(cache_dir: Path | None = None) -> Gazetteer:
    """Load the compiled gazetteer from the cache, building and saving it when stale or absent.

    A missing cache is built by a child process (`_build_in_child`), then loaded from the files
    it wrote: building allocates about 500 MB of short-lived objects among the 140 MB it keeps,
    and a process that built in-process kept Python's allocator at about 300 MB for its whole
    life (301 arenas for 145 MB in use, against 147 after loading the files; a first soak after
    an emptied cache, docs/operations.md). Processes starting together wait for one build
    (a lock file in the cache directory). When no child can build it (no writable cache
    directory, no interpreter to start), the process builds it itself, as before.
    """
    cache_dir = cache_dir or default_cache_dir()
    fingerprint = gazetteer._source_fingerprint()
    cached = _load_cached(cache_dir, fingerprint)
    if cached is not None:
        return cached
    with _build_lock(cache_dir):
        cached = _load_cached(cache_dir, fingerprint)  # another process may have built it
        if cached is not None:
            return cached
        if _build_in_child(cache_dir, fingerprint):
            cached = _load_cached(cache_dir, fingerprint)
            if cached is not None:
                return cached
        gaz = gazetteer.build_gazetteer(fingerprint)
        save_gazetteer(gaz, cache_dir)
        return gaz


def _load_cached(cache_dir: Path, fingerprint: str) -> Gazetteer | None:
    auto_path, data_path = _cache_paths(cache_dir, fingerprint)
    if not (auto_path.exists() and data_path.exists()):
        return None
    try:
        with data_path.open("rb") as fh:
            places, offsets, flat = pickle.load(fh)
        automaton = ahocorasick.load(str(auto_path), pickle.loads)
    except (OSError, ValueError, EOFError, pickle.UnpicklingError):
        return None  # a torn or foreign file: rebuilt by the caller
    return Gazetteer(automaton, places, offsets, flat, fingerprint)


def _cache_paths(cache_dir: Path, fingerprint: str) -> tuple[Path, Path]:
    return (
        cache_dir / f"gazetteer-{fingerprint}.automaton",
        cache_dir / f"gazetteer-{fingerprint}.pickle",
    )


def save_gazetteer(gaz: Gazetteer, cache_dir: Path) -> bool:
    """Write the compiled gazetteer into the cache; False when the directory is not writable."""
    auto_path, data_path = _cache_paths(cache_dir, gaz.fingerprint)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        _write_atomic(
            data_path,
            lambda p: Path(p).write_bytes(
                pickle.dumps((gaz.places, gaz.cand_offsets, gaz.cand_flat), protocol=5)
            ),
        )
        _write_atomic(auto_path, lambda p: gaz.automaton.save(p))
        _remove_stale(cache_dir, gaz.fingerprint)
    except OSError:
        return False  # a read-only cache directory costs start-up time, not correctness
    return True


@contextlib.contextmanager
def _build_lock(cache_dir: Path) -> Iterator[None]:
    """Held while one process builds the cache; no lock when the directory cannot hold one."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(cache_dir / "gazetteer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


# How long a child may take to build the cache before the process builds it itself
# (17.6 s on one core of the 2-core machine, bench/extract.py).
CHILD_BUILD_TIMEOUT = 600.0


# Imported, not run with -m: the places it pickles must be markaz.processing.gazetteer.Place,
# which the parent can load, not __main__.Place.
_CHILD = (
    "import sys; from markaz.processing.gazetteer_cache import _child_main; "
    "raise SystemExit(_child_main(sys.argv[1:]))"
)


def _build_in_child(cache_dir: Path, fingerprint: str) -> bool:
    """Build and save the cache in a child process; True when it says it did."""
    command = [sys.executable, "-c", _CHILD, str(cache_dir), fingerprint]
    log.info("building the gazetteer cache in %s (once; about 15 s)", cache_dir)
    try:
        done = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,  # `markaz extract` may be reading its input from ours
            capture_output=True,
            text=True,
            timeout=CHILD_BUILD_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("building the gazetteer in a child process failed (%s); building it here", exc)
        return False
    if done.returncode != 0:
        why = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        log.warning("building the gazetteer in a child process failed (%s); building it here", why[0])
        return False
    return True


def _child_main(argv: list[str]) -> int:
    """The child's work (arguments CACHE_DIR FINGERPRINT): build and save, or say why not."""
    if len(argv) != 2:
        print("expected two arguments: CACHE_DIR FINGERPRINT", file=sys.stderr)
        return 2
    cache_dir, fingerprint = Path(argv[0]), argv[1]
    if gazetteer._source_fingerprint() != fingerprint:
        print("the gazetteer's sources changed since the caller started", file=sys.stderr)
        return 3
    if not save_gazetteer(gazetteer.build_gazetteer(fingerprint), cache_dir):
        print(f"cannot write the gazetteer cache in {cache_dir}", file=sys.stderr)
        return 1
    return 0


def _remove_stale(cache_dir: Path, fingerprint: str) -> None:
    stale: Iterable[Path] = (p for p in cache_dir.glob("gazetteer-*") if fingerprint not in p.name)
    for path in stale:
        with contextlib.suppress(OSError):  # another process may have removed it first
            path.unlink()
