"""`markaz worker`: run the durable queue's jobs and deliver disseminations outside `markaz serve`."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable

import typer

from markaz.centre import Centre
from markaz.cli._common import DatabaseUrl, centre_for, readable_errors

JobRunner = Callable[[Centre], int]
log = logging.getLogger("markaz.worker")
TRIM_SECONDS = 10.0


def job_runners() -> list[JobRunner]:
    """Each runner claims and runs some queued jobs and returns how many; add yours here."""
    from markaz.analysis.fusion import run_fusion
    from markaz.processing.suggest import run_extraction_jobs

    return [
        run_extraction_jobs,
        run_fusion,
    ]


def run_jobs_once(centre: Centre) -> int:
    return sum(run(centre) for run in job_runners())


def _load_extractor() -> None:
    """Load the extractor (its gazetteer holds about 300 MB) now, not at the first free-text job.

    A worker's memory is then set when it starts instead of jumping under load, and what the
    loading allocated and freed is handed back to the system (bench/load.py soak,
    docs/operations.md). A failure here is not fatal: the first job loads it again.
    """
    from markaz.cli.serve import release_free_memory
    from markaz.processing.extractor import get_extractor

    try:
        get_extractor()
    except Exception:  # the extraction jobs report what is wrong
        log.warning("the extractor could not be loaded at start", exc_info=True)
    release_free_memory()


def work(centre: Centre, stop: threading.Event, idle_seconds: float = 0.5, *, deliver: bool = True) -> None:
    """Run jobs until `stop` is set, and (unless `deliver` is False) the delivery worker beside them.

    Delivery has its own thread and wakes at once for urgent items; the job runners here sleep
    `idle_seconds` when the queue is empty.
    """
    from markaz.dissemination.worker import Dispatcher

    _load_extractor()
    dispatcher = Dispatcher(centre) if deliver else None
    if dispatcher is not None:
        dispatcher.start()
    from markaz.cli.serve import release_free_memory

    trimmed = time.monotonic()
    try:
        while not stop.is_set():
            if run_jobs_once(centre) == 0:
                stop.wait(idle_seconds)
            # A batch of fusion or extraction allocates tens of MB and frees them; malloc keeps
            # what was freed unless asked to hand it back (bench/load.py --probe: the workers'
            # resident memory swung by 50-100 MB with the batches). At most every 10 s.
            if time.monotonic() - trimmed >= TRIM_SECONDS:
                release_free_memory()
                trimmed = time.monotonic()
    finally:
        if dispatcher is not None:
            dispatcher.stop()


def register(app: typer.Typer) -> None:
    @app.command()
    @readable_errors
    def worker(
        database_url: DatabaseUrl = None,
        once: bool = typer.Option(False, "--once", help="process what is queued now, then exit"),
        no_deliver: bool = typer.Option(False, "--no-deliver", help="run jobs only, no dissemination"),
    ) -> None:
        """Run queued jobs (extraction, dissemination and delivery) until interrupted."""
        from markaz.cli.serve import limit_malloc_arenas
        from markaz.dissemination.worker import run_until_idle

        limit_malloc_arenas()
        centre = centre_for(database_url)
        if once:
            total = 0
            while (n := run_jobs_once(centre)) > 0:
                total += n
            typer.echo(f"processed {total} jobs")
            if not no_deliver:
                idle = run_until_idle(
                    centre, timeout=centre.settings.webhook_timeout_seconds * 4 + 30, retries=False
                )
                typer.echo("deliveries sent" if idle else "deliveries still pending (retries are scheduled)")
            return
        stop = threading.Event()
        # SIGTERM (systemd, docker, Kubernetes) stops like Ctrl-C: the pushes in flight finish
        # and are recorded before the process exits (docs/operations.md).
        signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
        typer.echo("markaz worker running (Ctrl-C to stop)")
        try:
            work(centre, stop, deliver=not no_deliver)
        except KeyboardInterrupt:
            stop.set()
