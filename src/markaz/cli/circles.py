"""`markaz circle add|consent|leave|list`: sharing circles from the shell."""

from __future__ import annotations

import typer

from markaz.centre import Centre
from markaz.cli._common import DatabaseUrl, centre_for, readable_errors
from markaz.cli.members import acting_as
from markaz.domain.enums import Role
from markaz.governance import circles
from markaz.storage.principals import Principal

circle_app = typer.Typer(
    help="Sharing circles: named sets of members to release reports to.", no_args_is_help=True
)


def _admin(database_url: str | None, member: str) -> tuple[Centre, Principal]:
    centre = centre_for(database_url)
    return centre, acting_as(centre, member, role=Role.MEMBER_ADMIN)


@circle_app.command("add")
@readable_errors
def add(
    name: str = typer.Argument(..., help="lower-case letters, digits and '-', e.g. iq-sy"),
    member: str = typer.Option(..., "--member", help="the creating member (it belongs to the circle)"),
    with_: list[str] = typer.Option(..., "--with", help="another member of the circle (repeat)"),
    description: str = typer.Option(..., "--description"),
    database_url: DatabaseUrl = None,
) -> None:
    """Create a circle; it becomes active when every other member has consented."""
    centre, principal = _admin(database_url, member)
    request = circles.CircleCreate(name=name, description=description, members=[member, *with_])
    circle = circles.create(centre, principal, request)
    typer.echo(f"circle {circle['name']} created ({circle['status']})")


@circle_app.command("consent")
@readable_errors
def consent(
    name: str = typer.Argument(...),
    member: str = typer.Option(..., "--member", help="the member that consents"),
    database_url: DatabaseUrl = None,
) -> None:
    """Record a member's consent to a circle it was named in."""
    centre, principal = _admin(database_url, member)
    circle = circles.consent(centre, principal, name)
    typer.echo(f"circle {circle['name']}: {member} consented ({circle['status']})")


@circle_app.command("leave")
@readable_errors
def leave(
    name: str = typer.Argument(...),
    member: str = typer.Option(..., "--member"),
    database_url: DatabaseUrl = None,
) -> None:
    """Take a member out of a circle; reports already released keep their recipients."""
    centre, principal = _admin(database_url, member)
    circles.leave(centre, principal, name)
    typer.echo(f"{member} left circle {name}")


@circle_app.command("list")
@readable_errors
def list_(database_url: DatabaseUrl = None) -> None:
    """List circles with their members and consent."""
    for c in circles.list_all(centre_for(database_url)):
        members = " ".join(m["code"] + ("" if m["consented_at"] else "(pending)") for m in c["members"])
        typer.echo(f"{c['name']:<24} {c['status']:<8} {members}  {c['description']}")


def register(app: typer.Typer) -> None:
    app.add_typer(circle_app, name="circle")
