"""`markaz backup FILE` and `markaz restore FILE`: a consistent copy of a running centre, and back."""

from __future__ import annotations

from pathlib import Path

import typer

from markaz.cli._common import DatabaseUrl, centre_for, readable_errors


def register(app: typer.Typer) -> None:
    @app.command()
    @readable_errors
    def backup(
        file: Path = typer.Argument(..., help="the backup file to write (replaced if it exists)"),
        database_url: DatabaseUrl = None,
    ) -> None:
        """Copy the whole database to FILE while markaz keeps running (SQLite file or pg_dump archive)."""
        from markaz.storage.backup import backup as take_backup

        centre = centre_for(database_url)
        info = take_backup(centre.db, file)
        typer.echo(
            f"backup written to {info.path} ({info.size:,} bytes); "
            f"audit chain head: entry {info.audit_seq}, {info.audit_hash}"
        )

    @app.command()
    @readable_errors
    def restore(
        file: Path = typer.Argument(..., help="a file written by `markaz backup`"),
        database_url: DatabaseUrl = None,
        force: bool = typer.Option(False, "--force", help="replace a database that is not empty"),
    ) -> None:
        """Restore FILE into an empty database (--force: replace one), then verify the audit chain."""
        from markaz.storage.backup import BackupError
        from markaz.storage.backup import restore as restore_backup

        centre = centre_for(database_url)
        info = restore_backup(centre.db, file, force=force)
        if not info.audit.ok:
            raise BackupError(f"restored, but the audit chain does not verify: {info.audit.problem}")
        audited = f"{info.audit.entries} entries, {info.audit.objects} objects"
        typer.echo(f"restored {file}: audit chain intact ({audited})")
        if not info.current:
            typer.echo(f"the backup is at schema {info.revision}: run `markaz migrate` before serving it")
