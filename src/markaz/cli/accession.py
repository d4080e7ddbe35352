"""`markaz accession apply|vote|list`: the accession of new members from the shell."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer

from markaz.centre import Centre
from markaz.cli._common import DatabaseUrl, centre_for, readable_errors
from markaz.cli.members import acting_as
from markaz.domain.enums import Role
from markaz.governance import chair, votes
from markaz.storage.principals import Principal

accession_app = typer.Typer(help="Accession of new members by vote.", no_args_is_help=True)


def _admin(centre: Centre, member: str) -> Principal:
    return acting_as(centre, member, role=Role.MEMBER_ADMIN)


@accession_app.command("apply")
@readable_errors
def apply(
    code: str = typer.Argument(..., help="the candidate's code, e.g. KZ"),
    name: str = typer.Option(..., "--name", help="name in English"),
    name_ar: str = typer.Option(None, "--name-ar"),
    name_fa: str = typer.Option(None, "--name-fa"),
    name_ru: str = typer.Option(None, "--name-ru"),
    contact: str = typer.Option(..., "--contact"),
    reason: str = typer.Option(..., "--reason"),
    days: int = typer.Option(14, "--days", min=1, max=365, help="the vote's deadline, in days from now"),
    database_url: DatabaseUrl = None,
) -> None:
    """Enter a candidate's application; the chair opens the vote (prints the vote id)."""
    centre = centre_for(database_url)
    names = {k: v for k, v in {"en": name, "ar": name_ar, "fa": name_fa, "ru": name_ru}.items() if v}
    request = votes.AccessionRequest(
        code=code,
        names=names,
        contact=contact,
        reason=reason,
        deadline=datetime.now(UTC) + timedelta(days=days),
    )
    motion = votes.open_accession(centre, _admin(centre, chair.current(centre).member), request)
    typer.echo(motion["id"])


@accession_app.command("vote")
@readable_errors
def vote(
    vote_id: str = typer.Argument(...),
    member: str = typer.Option(..., "--member", help="the voting member"),
    choice: str = typer.Option(..., "--choice", help="approve, reject or abstain"),
    database_url: DatabaseUrl = None,
) -> None:
    """Cast or change a member's vote."""
    request = votes.VoteRequest(choice=choice)
    centre = centre_for(database_url)
    motion = votes.vote(centre, _admin(centre, member), vote_id, request.choice)
    typer.echo(f"{motion['id']}  {motion['status']}  {motion['tally']}")


@accession_app.command("list")
@readable_errors
def list_(database_url: DatabaseUrl = None) -> None:
    """List accession votes with status and tally."""
    for m in votes.list_motions(centre_for(database_url), "accession"):
        t = m["tally"]
        typer.echo(
            f"{m['id']}  {m['subject']:<8} {m['status']:<9} deadline {m['deadline'][:16]}  "
            f"approve {t['approve']} reject {t['reject']} abstain {t['abstain']} (quorum {t['quorum']})"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(accession_app, name="accession")
