"""`markaz inbox` and `markaz delivery`: a member's deliveries, acknowledgement, the board, re-sending."""

from __future__ import annotations

import orjson
import typer

from markaz.cli._common import DatabaseUrl, centre_for, readable_errors
from markaz.cli.members import acting_as
from markaz.dissemination import board as board_logic
from markaz.dissemination import inbox as inbox_logic
from markaz.domain.enums import Role

inbox_app = typer.Typer(help="A member's deliveries: list and acknowledge.", no_args_is_help=True)
delivery_app = typer.Typer(
    help="Delivery status (the chair's board, dead letters) and re-sending.", no_args_is_help=True
)


@inbox_app.command("list")
@readable_errors
def inbox_list(
    member: str = typer.Option(..., "--member", help="member code"),
    user: str = typer.Option(None, "--user", help="act as this user of the member"),
    state: str = typer.Option(None, "--state", help="unacknowledged | acknowledged | overdue"),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    as_json: bool = typer.Option(False, "--json", help="print the page as JSON"),
    database_url: DatabaseUrl = None,
) -> None:
    """List the member's deliveries, most urgent first (pulling them records receipt)."""
    centre = centre_for(database_url)
    principal = acting_as(centre, member, user)
    page = inbox_logic.inbox(centre, principal, limit=limit, state=state)
    if as_json:
        typer.echo(orjson.dumps(page).decode())
        return
    for item in page["items"]:
        flags = "OVERDUE " if item["overdue"] else ""
        title = item["report"].get("title", "") if isinstance(item["report"], dict) else ""
        typer.echo(
            f"{item['delivery_id']}  {item['precedence']:<9} {item['event']:<10} {item['state']:<12} "
            f"{flags}{item['created_at']}  {title}"
        )


@inbox_app.command("ack")
@readable_errors
def inbox_ack(
    delivery_id: str = typer.Argument(..., help="the delivery id"),
    member: str = typer.Option(..., "--member", help="member code of the recipient"),
    user: str = typer.Option(None, "--user", help="act as this user of the member"),
    database_url: DatabaseUrl = None,
) -> None:
    """Acknowledge one of the member's deliveries."""
    centre = centre_for(database_url)
    principal = acting_as(centre, member, user)
    row = inbox_logic.acknowledge(centre, principal, delivery_id)
    typer.echo(f"delivery {delivery_id} acknowledged at {row['acknowledged_at']} by {row['acknowledged_by']}")


@delivery_app.command("board")
@readable_errors
def delivery_board(
    member: str = typer.Option(
        ..., "--member", help="act as this member's admin (the chair sees every member)"
    ),
    recipient: str = typer.Option(None, "--recipient", help="only deliveries to this member"),
    state: str = typer.Option(None, "--state", help="queued | received | acknowledged | overdue | dead"),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    as_json: bool = typer.Option(False, "--json", help="print the page as JSON"),
    database_url: DatabaseUrl = None,
) -> None:
    """Delivery status without content: recipient, precedence, state, times, overdue, dead letters."""
    centre = centre_for(database_url)
    principal = acting_as(centre, member, None, Role.MEMBER_ADMIN)
    page = board_logic.board(centre, principal, member=recipient, state=state, limit=limit)
    if as_json:
        typer.echo(orjson.dumps(page).decode())
        return
    for item in page["items"]:
        flags = ("OVERDUE " if item["overdue"] else "") + ("DEAD " if item["dead_letter"] else "")
        typer.echo(
            f"{item['delivery_id']}  {item['recipient']:<8} {item['precedence']:<9} {item['event']:<10} "
            f"{item['state']:<12} {flags}{item['created_at']}"
        )


@delivery_app.command("resend")
@readable_errors
def delivery_resend(
    delivery_id: str = typer.Argument(..., help="the delivery id"),
    member: str = typer.Option(
        ..., "--member", help="act as this member's admin (the recipient, or the chair)"
    ),
    database_url: DatabaseUrl = None,
) -> None:
    """Send a delivery again to its recipient's endpoints (dead letters included)."""
    centre = centre_for(database_url)
    principal = acting_as(centre, member, None, Role.MEMBER_ADMIN)
    board_logic.resend(centre, principal, delivery_id)
    typer.echo(f"delivery {delivery_id} queued to be sent again")


def register(app: typer.Typer) -> None:
    app.add_typer(inbox_app, name="inbox")
    app.add_typer(delivery_app, name="delivery")
