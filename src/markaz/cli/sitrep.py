"""`markaz sitrep` (a member's situation report) and `markaz product publish|list|get` (centre products)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from markaz.analysis import sitrep, sitrep_products
from markaz.cli._common import DatabaseUrl, centre_for, readable_errors
from markaz.cli.members import acting_as, check_code
from markaz.domain.enums import Precedence, Role
from markaz.errors import InvalidInput


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
        raise InvalidInput("a PDF goes to a file: give --output FILE.pdf", field="output")
    _, content = sitrep.member_sitrep(centre_for(database_url), member, req)
    _write(content, output)


product_app = typer.Typer(
    help="Centre products: situation reports the chair publishes.", no_args_is_help=True
)


@product_app.command("publish")
@readable_errors
def publish(
    member: str = typer.Option(
        ..., "--member", help="the member that chairs the centre (acts as its member_admin)"
    ),
    since: datetime = typer.Option(None, "--since"),
    until: datetime = typer.Option(None, "--until"),
    bbox: str = typer.Option(None, "--bbox", help="minLon,minLat,maxLon,maxLat"),
    lang: str = typer.Option("en", "--lang", help="ar, fa, ru or en"),
    to: list[str] = typer.Option(
        None, "--to", help="a recipient: member code or circle:<name> (repeat; default ALL)"
    ),
    precedence: Precedence = typer.Option(Precedence.ROUTINE, "--precedence"),
    user: str = typer.Option(
        None, "--user", help="as this user of the member (default: its system member_admin)"
    ),
    database_url: DatabaseUrl = None,
) -> None:
    """Publish a centre situation report: only what every recipient may see; prints its id."""
    centre = centre_for(database_url)
    principal = acting_as(centre, member, user, role=Role.MEMBER_ADMIN)
    body: dict[str, Any] = {
        "lang": lang,
        "releasable_to": list(to) if to else ["ALL"],
        "precedence": precedence.value,
    }
    if since is not None:
        body["since"] = since.isoformat()
    if until is not None:
        body["until"] = until.isoformat()
    if bbox is not None:
        body["bbox"] = bbox
    stored = sitrep_products.publish(centre, principal, body)
    typer.echo(f"{stored['id']}\t{', '.join(stored['recipients'])}")


@product_app.command("list")
@readable_errors
def list_(
    member: str = typer.Option(..., "--member", help="read as this member"),
    limit: int = typer.Option(100, min=1, max=1000),
    database_url: DatabaseUrl = None,
) -> None:
    """Centre products the member received, newest first."""
    check_code(member)
    for p in sitrep_products.list_products(centre_for(database_url), member, limit=limit)["items"]:
        typer.echo(f"{p['id']}  {p['published_at'][:16]}  {p['published_by']:<4} {p['title']}")


@product_app.command("get")
@readable_errors
def get(
    product_id: str = typer.Argument(...),
    member: str = typer.Option(..., "--member", help="read as this member"),
    fmt: str = typer.Option("md", "--format", help="md, html, pdf or json"),
    output: Path = typer.Option(None, "--output", "-o", help="write to this file (default: standard output)"),
    database_url: DatabaseUrl = None,
) -> None:
    """One centre product the member received, rendered."""
    check_code(member)
    _, content = sitrep_products.get_product(centre_for(database_url), member, product_id, fmt)
    _write(content, output)


def _write(content: bytes, output: Path | None) -> None:
    if output is not None:
        output.write_bytes(content)
        typer.echo(f"{output}: {len(content)} bytes")
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()


def register(app: typer.Typer) -> None:
    app.command("sitrep")(sitrep_command)
    app.add_typer(product_app, name="product")
