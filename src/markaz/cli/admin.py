"""`markaz init`, `markaz migrate` and `markaz demo`."""

from __future__ import annotations

import typer

from markaz.cli._common import DatabaseUrl, centre_for, readable_errors
from markaz.storage.migrate import upgrade


def register(app: typer.Typer) -> None:
    @app.command()
    @readable_errors
    def init(database_url: DatabaseUrl = None) -> None:
        """Create the database (if missing) and bring its schema to the newest version."""
        centre = centre_for(database_url)
        before, after = upgrade(centre.db)
        typer.echo(
            f"database ready at schema {after}" + (f" (was {before})" if before and before != after else "")
        )

    @app.command()
    @readable_errors
    def migrate(database_url: DatabaseUrl = None) -> None:
        """Apply any pending schema migrations."""
        centre = centre_for(database_url)
        before, after = upgrade(centre.db)
        typer.echo(
            "schema already current" if before == after else f"migrated {before or 'empty'} -> {after}"
        )

    @app.command()
    @readable_errors
    def demo(
        database_url: DatabaseUrl = None,
        reports: int = typer.Option(300, min=0, max=100_000, help="how many synthetic reports"),
    ) -> None:
        """Load the synthetic demo centre (IQ, RU, SY, IR) and print its logins. Safe to repeat."""
        from markaz.demo import load_demo

        centre = centre_for(database_url)
        upgrade(centre.db)
        summary = load_demo(centre, reports=reports)
        typer.echo(summary.describe())
