"""`markaz comment add|list|notifications`: the exchange of views from the shell, as one member."""

from __future__ import annotations

from typing import Any

import orjson
import typer

from markaz.analysis import views
from markaz.cli._common import DatabaseUrl, centre_for, readable_errors
from markaz.cli.members import acting_as, check_code
from markaz.domain.enums import Opinion

comment_app = typer.Typer(
    help="Comments and opinions on reports and fused items (exchange of views).", no_args_is_help=True
)

ON_HELP = "what the item is: report (default), site or track"


def _line(c: dict[str, Any]) -> str:
    reply = f" re {c['reply_to']}" if c["reply_to"] else ""
    opinion = f" [{c['opinion']}]" if c["opinion"] else ""
    return f"{c['id']}  {c['created_at'][:19]}  {c['member']:<4} {c['author']}{reply}{opinion}: {c['text']}"


@comment_app.command("add")
@readable_errors
def add(
    item_id: str = typer.Argument(..., help="id of the report (or site, track) commented on"),
    member: str = typer.Option(..., "--member", help="comment as this member"),
    text: str = typer.Option(..., "--text", help="the comment: what you think and why"),
    opinion: Opinion = typer.Option(None, "--opinion", help="STIX 2.1 opinion on the item"),
    reply_to: str = typer.Option(None, "--reply-to", help="id of the comment answered"),
    on: str = typer.Option("report", "--on", help=ON_HELP),
    user: str = typer.Option(
        None, "--user", help="as this user of the member (default: its system principal)"
    ),
    database_url: DatabaseUrl = None,
) -> None:
    """Comment on an item the member may see; prints the new comment's id."""
    centre = centre_for(database_url)
    principal = acting_as(centre, member, user)
    body: dict[str, Any] = {"text": text}
    if opinion is not None:
        body["opinion"] = opinion.value
    if reply_to is not None:
        body["reply_to"] = reply_to
    stored = views.add_comment(centre, principal, on, item_id, body)
    typer.echo(stored["id"])


@comment_app.command("list")
@readable_errors
def list_(
    item_id: str = typer.Argument(...),
    member: str = typer.Option(..., "--member", help="read as this member"),
    on: str = typer.Option("report", "--on", help=ON_HELP),
    limit: int = typer.Option(1000, min=1, max=10_000),
    as_json: bool = typer.Option(False, "--json", help="print the JSON answer"),
    database_url: DatabaseUrl = None,
) -> None:
    """The comments on an item, oldest first, with the opinions counted."""
    check_code(member)
    page = views.list_comments(centre_for(database_url), member, on, item_id, limit=limit)
    if as_json:
        typer.echo(orjson.dumps(page, option=orjson.OPT_INDENT_2).decode())
        return
    tally = ", ".join(f"{k} {v}" for k, v in page["opinions"].items() if v)
    typer.echo(f"{page['count']} comment(s)" + (f"; opinions: {tally}" if tally else ""))
    for c in page["items"]:
        typer.echo(_line(c))


@comment_app.command("notifications")
@readable_errors
def notifications(
    member: str = typer.Option(..., "--member", help="the member told"),
    limit: int = typer.Option(100, min=1, max=10_000),
    database_url: DatabaseUrl = None,
) -> None:
    """Comments on the member's items and replies to its comments."""
    check_code(member)
    for c in views.notifications(centre_for(database_url), member, limit=limit)["items"]:
        typer.echo(f"{c['item']['type']} {c['item']['id']}  " + _line(c))


def register(app: typer.Typer) -> None:
    app.add_typer(comment_app, name="comment")
