"""`markaz chair setup|current|schedule|handover`: the rotating chair from the shell."""

from __future__ import annotations

from datetime import UTC, date, datetime

import typer

from markaz.cli._common import OPERATOR, DatabaseUrl, centre_for, readable_errors
from markaz.cli.members import acting_as, check_code
from markaz.domain.enums import Role
from markaz.errors import InvalidInput
from markaz.governance import chair
from markaz.governance.terms import add_months

chair_app = typer.Typer(help="The rotating chair (terms of at most three months).", no_args_is_help=True)


def _date(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{what} must be a date such as 2015-10-01") from None


@chair_app.command("setup")
@readable_errors
def setup(
    first: str = typer.Option(..., "--first", help="the member that chairs first, e.g. IQ"),
    starts_on: str = typer.Option(..., "--starts-on", help="first day of the first term, e.g. 2015-10-01"),
    term_months: int = typer.Option(3, "--term-months", help="1 to 3 calendar months"),
    database_url: DatabaseUrl = None,
) -> None:
    """Set up the rotation once: the order is the order of founding; new members join at the end."""
    start = _date(starts_on, "--starts-on")
    assert start is not None
    centre = centre_for(database_url)
    with centre.db.write() as conn:
        chair.setup(
            conn,
            centre.db.dialect,
            first_chair=check_code(first),
            starts_on=start,
            months=term_months,
            actor=OPERATOR,
        )
    typer.echo(
        f"rotation set up: {first} chairs first from {start.isoformat()}, terms of {term_months} months"
    )


@chair_app.command("current")
@readable_errors
def current(database_url: DatabaseUrl = None) -> None:
    """Print the member that chairs the centre today and its term."""
    term = chair.current(centre_for(database_url))
    typer.echo(f"{term.member}  {term.starts_on.isoformat()} .. {term.ends_on.isoformat()}")


@chair_app.command("schedule")
@readable_errors
def schedule(
    months: int = typer.Option(24, "--months", min=1, max=240, help="how far ahead"),
    since: str = typer.Option(None, "--from", help="first day (default today)"),
    database_url: DatabaseUrl = None,
) -> None:
    """Print the chair schedule from a day (default today) for some months."""
    start = _date(since, "--from") or datetime.now(UTC).date()
    for term in chair.schedule(centre_for(database_url), since=start, until=add_months(start, months)):
        typer.echo(f"{term.member:<8} {term.starts_on.isoformat()} .. {term.ends_on.isoformat()}")


@chair_app.command("handover")
@readable_errors
def handover(
    member: str = typer.Option(..., "--member", help="the member that holds the chair and steps down"),
    database_url: DatabaseUrl = None,
) -> None:
    """The chair steps down today; the next member's full term starts today."""
    centre = centre_for(database_url)
    term = chair.handover(centre, acting_as(centre, member, role=Role.MEMBER_ADMIN))
    typer.echo(f"{term.member} now chairs the centre until {term.ends_on.isoformat()}")


def register(app: typer.Typer) -> None:
    app.add_typer(chair_app, name="chair")
