"""`markaz sitrep`: a situation report for one member, from what it may see."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import typer

from markaz.analysis import sitrep
from markaz.cli._common import DatabaseUrl, centre_for, readable_errors
from markaz.cli.members import check_code


@readable_errors
def sitrep_command(
    member: str = typer.Option(..., "--member", help="the member the report is for: only what it may see"),
    since: datetime = typer.Option(None, "--since", help="from (default: 24 hours before --until)"),
    until: datetime = typer.Option(None, "--until", help="to, exclusive (default: now)"),
    bbox: str = typer.Option(None, "--bbox", help="minLon,minLat,maxLon,maxLat"),
    lang: str = typer.Option("en", "--lang", help="ar, fa, ru or en"),
    fmt: str = typer.Option("md", "--format", help="md, html, pdf or json"),
    output: Path = typer.Option(None, "--output", "-o", help="write to this file (default: standard output)"),
    database_url: DatabaseUrl = None,
) -> None:
    """Write a situation report: new items by category and area, movements, changes, a map, tables."""
    check_code(member)
    req = sitrep.parse_request(since=since, until=until, bbox=bbox, lang=lang, fmt=fmt)
    if req.format == "pdf" and output is None and sys.stdout.isatty():
        raise typer.BadParameter("a PDF goes to a file: give --output FILE.pdf")
    _, content = sitrep.member_sitrep(centre_for(database_url), member, req)
    if output is not None:
        output.write_bytes(content)
        typer.echo(f"{output}: {len(content)} bytes")
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()


def register(app: typer.Typer) -> None:
    app.command("sitrep")(sitrep_command)
