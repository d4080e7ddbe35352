"""The `markaz` command: set up, load, serve and use a centre from the shell."""

from __future__ import annotations

import typer

from markaz.cli import accession, admin, audit_cmd, backup, chair, circles, members, reports, serve, worker


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="markaz",
        help="markaz: the software of a multinational information-exchange centre.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    admin.register(app)
    serve.register(app)
    members.register(app)
    reports.register(app)
    audit_cmd.register(app)
    circles.register(app)
    chair.register(app)
    accession.register(app)
    worker.register(app)
    from markaz.cli import inbox

    inbox.register(app)
    from markaz.cli import keys

    keys.register(app)
    backup.register(app)
    from markaz.cli import sitrep, views

    views.register(app)
    from markaz.cli import analysis

    analysis.register(app)
    sitrep.register(app)
    from markaz.cli import interop

    interop.register(app)
    try:
        from markaz.cli import extract
    except ImportError:  # pragma: no cover - the processing package is always installed
        pass
    else:
        extract.register(app)
    return app


def main() -> None:
    build_app()()
