"""`markaz worker`: run the durable queue's jobs and deliver disseminations outside `markaz serve`."""

from __future__ import annotations

import gc
import logging
import signal
import threading
from collections.abc import Callable

import typer

from markaz.centre import Centre
from markaz.cli._common import DatabaseUrl, centre_for, readable_errors

JobRunner = Callable[[Centre], int]
log = logging.getLogger("markaz.worker")


def job_runners() -> list[JobRunner]:
    """Each runner claims and runs some queued jobs and returns how many; add yours here."""
    from markaz.processing.suggest import run_extraction_jobs

    return [
        run_extraction_jobs,
        fuse,
    ]


# Observations the worker loop fuses per run on PostgreSQL (fusion.BATCH, 1,000, is for fusing
# a backlog in one go: `markaz fuse`, bench/fusion.py). With 1,000, under the load benchmark
# (tens of thousands of observations sharing two subjects), a run held 100-160 MB more than the
# worker at rest (bench/load.py --probe, docs/operations.md), when a run still received all its
# candidates at once; they now come through a server-side cursor, and whether runs of 100 are
# still needed since is not measured.
FUSION_BATCH = 100


def fusion_limit(centre: Centre) -> int:
    """The worker loop's fusion batch: FUSION_BATCH on PostgreSQL, fusion's own on SQLite.

    On SQLite the worker is a thread of `markaz serve` and every run takes the one write lock
    that ingest needs; runs of 100 cut HTTP ingest with the worker inside serve from 6,600-8,600
    to 5,200-5,400 reports/s (bench/ingest.py --workers 2, three and two runs, load about 1), and
    SQLite's candidates are streamed from the cursor, so a run of 1,000 does not hold them all.
    """
    from markaz.analysis.fusion import BATCH

    return FUSION_BATCH if centre.db.dialect.name == "postgresql" else BATCH


def fuse(centre: Centre) -> int:
    """One fusion run of at most fusion_limit(centre) observations; returns how many it took in."""
    from markaz.analysis.fusion import run_fusion

    return run_fusion(centre, limit=fusion_limit(centre))


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
    # The gazetteer's objects live as long as the process: out of the collector's way, so
    # full collections do not walk them each time.
    gc.collect()
    gc.freeze()
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
    # What a batch allocates and frees is handed back by the trimming thread that `markaz
    # serve` and `markaz worker` start (serve.keep_releasing_free_memory), not from here.
    try:
        while not stop.is_set():
            if run_jobs_once(centre) == 0:
                stop.wait(idle_seconds)
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
        from markaz.cli.serve import keep_releasing_free_memory, limit_malloc_arenas
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
        keep_releasing_free_memory(stop, idle=centre.db.release_idle_memory)
        # SIGTERM (systemd, docker, Kubernetes) stops like Ctrl-C: the pushes in flight finish
        # and are recorded before the process exits (docs/operations.md).
        signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
        typer.echo("markaz worker running (Ctrl-C to stop)")
        try:
            work(centre, stop, deliver=not no_deliver)
        except KeyboardInterrupt:
            stop.set()
