"""`markaz serve`: the web interface and API on one port."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import signal
import threading
from collections.abc import Callable

import typer
from fastapi import FastAPI

from markaz.cli._common import DatabaseUrl, readable_errors, settings_for

log = logging.getLogger("markaz.serve")


def tune_gc() -> None:
    """Fewer, cheaper garbage collections for a long-running server.

    A batch of 1,000 reports allocates hundreds of thousands of short-lived dicts; with the
    default threshold (700) the collector runs hundreds of times per batch and, through the
    older generations, rescans everything the process holds. Freezing what exists at start-up
    and raising the first threshold took the in-process intake path from about 6,100 to
    9,200 reports/s on the 2-core machine.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


# glibc malloc arenas a server or worker process allows itself (limit_malloc_arenas).
MALLOC_ARENAS = 1


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """At most `arenas` glibc malloc arenas in this process, unless MALLOC_ARENA_MAX says otherwise.

    glibc gives threads arenas of their own (up to eight per core); memory freed in one stays
    with it, and each arena fragments on its own, so a server whose request threads take turns
    allocating keeps growing its resident memory long after its working set has stopped
    growing. Ten-minute SQLite soaks (bench/load.py --soak 600, 24 November) grew +21.1% and
    +8.2% at rest with four arenas and +6.3%, +7.3% and +11.6% with one; under load their
    medians moved +25% and +24% with four, +12%, +17% and +13% with one. HTTP ingest
    (bench/ingest.py --workers 2 --no-worker, six runs each, alternated) was the same within
    its spread with one, two or four arenas (docs/operations.md; an earlier run with two had
    measured a third less, while forty request threads still ran at once). Called before the
    process starts its threads; nothing happens where malloc is not glibc's.
    """
    if os.environ.get("MALLOC_ARENA_MAX"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # -8: M_ARENA_MAX


def release_free_memory() -> None:
    """Hand memory that malloc holds freed back to the system (glibc's malloc_trim)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


# How often a server or worker hands freed memory back. glibc returns freed memory in the
# middle of its heaps only when malloc_trim asks; every 10 s from the worker loop left 40 MB
# and more freed but resident in the SQLite server under load, and the soak measured that
# as growth (bench/load.py --probe, docs/operations.md). A trim of a fragmented 200 MB
# heap takes 8-22 ms.
TRIM_EVERY_SECONDS = 2.0


def keep_releasing_free_memory(
    stop: threading.Event, every: float = TRIM_EVERY_SECONDS, *, idle: Callable[[], object] | None = None
) -> threading.Thread:
    """Start a daemon thread that, every `every` seconds until `stop`, collects the young
    generations' garbage and then hands what malloc holds freed back (release_free_memory).

    tune_gc's thresholds make the collector wait for 50,000 new objects before a young
    collection and for fifty of those before the next generation's: in a ten-minute
    PostgreSQL soak (bench/load.py --probe) an API process collected its youngest generation
    about every 200 s, and 43,000 objects caught alive by one collection (a request in flight)
    were then due for collection only hours later; the process grew by 10 MB of garbage and
    the soak counted it. Collected here, cycles live at most `every` seconds. Under heavy load
    the thresholds are reached long before that, so the ingest path keeps its fewer collections.
    """

    def trim() -> None:
        while not stop.wait(every):
            if idle is not None:
                try:
                    idle()
                except Exception:  # a failed release must not end the trimming
                    log.warning("releasing idle memory failed", exc_info=True)
            gc.collect(1)
            release_free_memory()

    thread = threading.Thread(target=trim, name="markaz-trim", daemon=True)
    thread.start()
    return thread


def app_from_environment() -> FastAPI:
    """Factory for `markaz serve --workers N`: each process reads MARKAZ_* from its environment."""
    from markaz.app import create_app
    from markaz.security.http_guard import GuardedHttpProtocol
    from markaz.settings import Settings

    settings = Settings()
    GuardedHttpProtocol.configure(settings)
    app = create_app(settings)
    tune_gc()
    # For the process's life; an idle process empties its SQLite page caches.
    keep_releasing_free_memory(threading.Event(), idle=app.state.centre.db.release_idle_memory)
    return app


def register(app: typer.Typer) -> None:
    @app.command()
    @readable_errors
    def serve(
        database_url: DatabaseUrl = None,
        host: str = typer.Option("127.0.0.1", help="address to listen on"),
        port: int = typer.Option(8600, min=1, max=65535, help="port to listen on"),
        log_level: str = typer.Option("warning", help="uvicorn log level"),
        no_worker: bool = typer.Option(False, "--no-worker", help="do not run queued jobs in this process"),
        workers: int = typer.Option(
            1, min=1, max=64, help="API processes; they share the database (one writer at a time on SQLite)"
        ),
    ) -> None:
        """Serve the API (/api/v1, docs at /api/docs) until interrupted."""
        import uvicorn

        from markaz.app import create_app
        from markaz.centre import Centre
        from markaz.errors import MarkazError
        from markaz.security.http_guard import GuardedHttpProtocol
        from markaz.storage.migrate import current_revision, head_revision

        limit_malloc_arenas()
        settings = settings_for(database_url)
        GuardedHttpProtocol.configure(settings)
        centre = Centre(settings)
        if current_revision(centre.db) != head_revision():
            raise MarkazError("the database schema is not current: run `markaz init` or `markaz migrate`")
        tune_gc()
        stop = threading.Event()
        keep_releasing_free_memory(stop, idle=centre.db.release_idle_memory)
        worker_thread: threading.Thread | None = None
        if not no_worker:
            # On SQLite the queue's worker runs inside the server by default (one writer).
            from markaz.cli.worker import work

            worker_thread = threading.Thread(
                target=work, args=(centre, stop), name="markaz-worker", daemon=True
            )
            worker_thread.start()
        # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal under the
        # handler that was in place before it started: this one, so the process then stops
        # the worker thread (its pushes in flight finish and are recorded) and exits 0.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda _signum, _frame: stop.set())
        typer.echo(f"markaz serving on http://{host}:{port} (API docs at /api/docs)")
        if workers > 1:
            centre.close()
            # Worker processes build their own Settings from the environment.
            os.environ["MARKAZ_DATABASE_URL"] = settings.database_url
            os.environ.setdefault("MALLOC_ARENA_MAX", str(MALLOC_ARENAS))  # glibc reads it at start
            uvicorn.run(
                "markaz.cli.serve:app_from_environment",
                factory=True,
                workers=workers,
                host=host,
                port=port,
                log_level=log_level,
                timeout_keep_alive=30,
                http=GuardedHttpProtocol,
                forwarded_allow_ips=settings.forwarded_allow_ips,
            )
            return
        uvicorn.run(
            create_app(settings, centre),
            host=host,
            port=port,
            log_level=log_level,
            timeout_keep_alive=30,
            # Header size and slow-client deadlines (docs/security.md); uvicorn has neither.
            http=GuardedHttpProtocol,
            forwarded_allow_ips=settings.forwarded_allow_ips,
        )
        stop.set()
        if worker_thread is not None:
            worker_thread.join(timeout=30)
