"""`markaz export` and `markaz import`: files for and from other systems (STIX, GeoJSON, KML, CSV)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import typer

from markaz.api.filters import report_filter
from markaz.cli._common import DatabaseUrl, centre_for, readable_errors
from markaz.cli.members import acting_as, check_code
from markaz.collection import files
from markaz.dissemination import exports
from markaz.domain.enums import Category, MemberStatus, Precedence, ReportStatus
from markaz.errors import InvalidInput


@readable_errors
def export_command(
    format: str = typer.Option(..., "--format", help="stix | geojson | kml | csv"),
    member: str = typer.Option(..., "--member", help="export as this member: only what is released to it"),
    output: str = typer.Option(None, "--output", "-o", help="write to this file (default: stdout)"),
    bbox: str = typer.Option(None, help="minLon,minLat,maxLon,maxLat"),
    category: Category = typer.Option(None),
    since: datetime = typer.Option(None),
    until: datetime = typer.Option(None),
    q: str = typer.Option(None, help="full-text search"),
    originator: str = typer.Option(None),
    precedence: Precedence = typer.Option(None),
    status: ReportStatus = typer.Option(None),
    database_url: DatabaseUrl = None,
) -> None:
    """Write the member's visible reports as a STIX 2.1 bundle, GeoJSON, KML or CSV file."""
    check_code(member)
    fmt = exports.check_format(format)
    # The same parsing as the API's query parameters, so both paths filter alike.
    f = report_filter(
        bbox=bbox,
        category=category,
        since=since,
        until=until,
        q=q,
        originator=originator,
        precedence=precedence,
        status=status,
    )
    centre = centre_for(database_url)
    chunks = exports.export(centre, member, fmt, f)
    if output:
        with Path(output).open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
    else:
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()


@readable_errors
def import_command(
    file: str = typer.Argument(
        ..., help="a STIX bundle, GeoJSON, KML or CSV file (recognised by content); - for stdin"
    ),
    member: str = typer.Option(..., "--member", help="the member the reports come from"),
    user: str = typer.Option(
        None, "--user", help="import as this user of the member (default: its system principal)"
    ),
    database_url: DatabaseUrl = None,
) -> None:
    """Import reports; prints one line per item: imported or not, and why. Exit 1 if any was not."""
    data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    if not data.strip():
        raise InvalidInput("the file is empty")
    centre = centre_for(database_url)
    principal = acting_as(centre, member, user)
    if principal.member_status != MemberStatus.ACTIVE:
        raise InvalidInput(f"member {member} is {principal.member_status.value} and cannot submit")
    result = files.import_file(centre, principal, data)
    for item, ok, message in result.lines:
        typer.echo(f"{item}\t{'imported' if ok else 'not imported'}\t{message}", err=not ok)
    typer.echo(
        f"{result.format}: {len(result.created)} reports created, {len(result.existing)} already stored, "
        f"{result.failed} items not imported"
    )
    if result.failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)
    app.command("import")(import_command)
