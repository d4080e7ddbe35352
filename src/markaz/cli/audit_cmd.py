"""`markaz audit verify`: recompute the hash chain against the stored objects."""

from __future__ import annotations

import typer

from markaz.cli._common import DatabaseUrl, centre_for, readable_errors
from markaz.storage.audit import verify

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("verify")
@readable_errors
def verify_cmd(database_url: DatabaseUrl = None) -> None:
    """Exit 0 if the chain and every audited object are intact; otherwise name the first bad entry."""
    centre = centre_for(database_url)
    with centre.db.read() as conn:
        result = verify(conn)
    if not result.ok:
        typer.echo(f"audit verification FAILED: {result.problem}", err=True)
        raise typer.Exit(1)
    typer.echo(f"audit chain intact: {result.entries} entries, {result.objects} objects verified")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
