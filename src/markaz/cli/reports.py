"""`markaz report submit|list|get`: the exchange from the shell, as one member."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import typer

from markaz.api.filters import report_filter
from markaz.cli._common import DatabaseUrl, centre_for, readable_errors
from markaz.cli.members import acting_as, check_code
from markaz.collection import intake
from markaz.dissemination import pull
from markaz.domain.enums import Category, MemberStatus, Precedence, ReportStatus
from markaz.errors import InvalidInput, MalformedBody

report_app = typer.Typer(help="Submit and read reports as one member.", no_args_is_help=True)


def _read_json(source: str) -> Any:
    raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedBody(
            f"{'stdin' if source == '-' else source} is not valid UTF-8 JSON: {exc}"
        ) from None


@report_app.command("submit")
@readable_errors
def submit(
    file: str = typer.Argument(..., help="a JSON file with one report or a list of reports; - for stdin"),
    member: str = typer.Option(..., "--member", help="the originating member"),
    user: str = typer.Option(
        None, "--user", help="submit as this user of the member (default: its system principal)"
    ),
    database_url: DatabaseUrl = None,
) -> None:
    """Submit reports; prints one line per report: index, status, id or error."""
    data = _read_json(file)
    items = data if isinstance(data, list) else [data]
    if not items:
        raise InvalidInput("the file holds an empty list")
    centre = centre_for(database_url)
    principal = acting_as(centre, member, user)
    if principal.member_status != MemberStatus.ACTIVE:
        raise InvalidInput(f"member {member} is {principal.member_status.value} and cannot submit")
    failed = 0
    for r in intake.submit(centre, principal, items):
        if r.error is not None:
            failed += 1
            typer.echo(f"{r.index}\terror\t{r.error.message}", err=True)
        else:
            typer.echo(f"{r.index}\t{r.status}\t{r.id}")
    if failed:
        raise typer.Exit(1)


@report_app.command("list")
@readable_errors
def list_(
    member: str = typer.Option(..., "--member", help="read as this member: only what is released to it"),
    bbox: str = typer.Option(None, help="minLon,minLat,maxLon,maxLat"),
    category: Category = typer.Option(None),
    since: datetime = typer.Option(None),
    until: datetime = typer.Option(None),
    q: str = typer.Option(None, help="full-text search"),
    originator: str = typer.Option(None),
    precedence: Precedence = typer.Option(None),
    status: ReportStatus = typer.Option(None),
    limit: int = typer.Option(50, min=1, max=10_000),
    as_json: bool = typer.Option(False, "--json", help="print JSON lines instead of a table"),
    database_url: DatabaseUrl = None,
) -> None:
    """List reports visible to a member, newest first."""
    check_code(member)
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
    page = pull.list_reports(centre, member, f, limit=limit, cursor=None)
    for r in page["items"]:
        if as_json:
            typer.echo(orjson.dumps(r).decode())
        else:
            typer.echo(
                f"{r['id']}  {r['created_at'][:19]}  {r['originator']:<4} {r['precedence']:<9} "
                f"{r['source_reliability']}{r['information_credibility']}  {r['status']:<10} {r['title']}"
            )


@report_app.command("get")
@readable_errors
def get(
    report_id: str = typer.Argument(...),
    member: str = typer.Option(..., "--member", help="read as this member"),
    database_url: DatabaseUrl = None,
) -> None:
    """Print one report as JSON, if it is released to the member."""
    check_code(member)
    typer.echo(
        orjson.dumps(
            pull.get_report(centre_for(database_url), member, report_id), option=orjson.OPT_INDENT_2
        ).decode()
    )


@report_app.command("suggestions")
@readable_errors
def suggestions(
    report_id: str = typer.Argument(...),
    member: str = typer.Option(..., "--member", help="the originating member"),
    database_url: DatabaseUrl = None,
) -> None:
    """List the observations extraction suggested for a report (originator only)."""
    from markaz.processing import suggest

    centre = centre_for(database_url)
    for s in suggest.list_for(centre, acting_as(centre, member), report_id):
        lon, lat = s["geometry"]["coordinates"]
        what = s["evidence"].get("name") or s["evidence"].get("format")
        typer.echo(
            f"{s['id']:>6}  {s['state']:<10} {s['category']:<15} {lat:.5f},{lon:.5f}  "
            f"{s['confidence']:.1f}  {s['evidence']['kind']}: {what}"
        )


def _decide(
    suggestion_id: int, member: str, user: str | None, database_url: str | None, confirm: bool
) -> None:
    from markaz.processing import suggest

    centre = centre_for(database_url)
    s = suggest.decide(centre, acting_as(centre, member, user), suggestion_id, confirm)
    typer.echo(f"suggestion {s['id']} {s['state']}")


@report_app.command("confirm")
@readable_errors
def confirm(
    suggestion_id: int = typer.Argument(...),
    member: str = typer.Option(..., "--member"),
    user: str = typer.Option(None, "--user", help="decide as this user of the member"),
    database_url: DatabaseUrl = None,
) -> None:
    """Confirm a suggestion: it becomes an observation of its report."""
    _decide(suggestion_id, member, user, database_url, True)


@report_app.command("dismiss")
@readable_errors
def dismiss(
    suggestion_id: int = typer.Argument(...),
    member: str = typer.Option(..., "--member"),
    user: str = typer.Option(None, "--user", help="decide as this user of the member"),
    database_url: DatabaseUrl = None,
) -> None:
    """Dismiss a suggestion."""
    _decide(suggestion_id, member, user, database_url, False)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
