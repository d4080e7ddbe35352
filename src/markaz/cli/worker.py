"""`markaz worker`: run the durable queue's jobs (extraction) outside `markaz serve`."""

from __future__ import annotations

import threading

import typer

from markaz.centre import Centre
from markaz.cli._common import DatabaseUrl, centre_for, readable_errors


def work(centre: Centre, stop: threading.Event, idle_seconds: float = 0.5) -> None:
    """Process jobs until `stop` is set; sleeps briefly when the queue is empty."""
    from markaz.processing.suggest import run_extraction_jobs

    while not stop.is_set():
        if run_extraction_jobs(centre) == 0:
            stop.wait(idle_seconds)


def register(app: typer.Typer) -> None:
    @app.command()
    @readable_errors
    def worker(
        database_url: DatabaseUrl = None,
        once: bool = typer.Option(False, "--once", help="process what is queued now, then exit"),
    ) -> None:
        """Run queued jobs (extraction of suggested observations) until interrupted."""
        from markaz.processing.suggest import run_extraction_jobs

        centre = centre_for(database_url)
        if once:
            total = 0
            while (n := run_extraction_jobs(centre)) > 0:
                total += n
            typer.echo(f"processed {total} jobs")
            return
        stop = threading.Event()
        typer.echo("markaz worker running (Ctrl-C to stop)")
        try:
            work(centre, stop)
        except KeyboardInterrupt:
            stop.set()
