"""`markaz member`, `markaz user` and `markaz token`: who belongs to the centre and how they sign in."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import typer
from sqlalchemy import Connection

from markaz.centre import Centre
from markaz.cli._common import OPERATOR, DatabaseUrl, centre_for, readable_errors
from markaz.domain.enums import MemberStatus, Role
from markaz.domain.models import MEMBER_CODE_PATTERN
from markaz.domain.text import check_label
from markaz.errors import InvalidInput, NotFound
from markaz.security.scopes import Scope
from markaz.storage.canonical import iso
from markaz.storage.dialects import StorageDialect
from markaz.storage.members import add_member, get_member, list_members
from markaz.storage.principals import (
    Principal,
    add_principal,
    create_token,
    find_principal,
    list_tokens,
    revoke_token,
)

member_app = typer.Typer(help="Members of the centre.", no_args_is_help=True)
user_app = typer.Typer(help="People who sign in.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (shown once, stored hashed).", no_args_is_help=True)

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def parse_duration(text: str) -> timedelta:
    match = re.fullmatch(r"(\d{1,5})([dhm])", text.strip())
    if not match:
        raise InvalidInput(f"{text!r} is not a duration such as 90d, 12h or 30m", field="expires")
    n, unit = int(match.group(1)), match.group(2)
    return {"d": timedelta(days=n), "h": timedelta(hours=n), "m": timedelta(minutes=n)}[unit]


def check_code(code: str) -> str:
    if not re.fullmatch(MEMBER_CODE_PATTERN, code):
        raise InvalidInput(
            f"{code!r} is not a member code: use 2-8 upper-case letters or digits", field="code"
        )
    return code


def _names(en: str, ar: str | None, fa: str | None, ru: str | None) -> dict[str, str]:
    names = {"en": en, "ar": ar, "fa": fa, "ru": ru}
    out = {}
    for lang, value in names.items():
        if value is not None:
            try:
                out[lang] = check_label(value, f"name ({lang})")
            except ValueError as exc:
                raise InvalidInput(str(exc), field="name") from None
    return out


def acting_principal(
    conn: Connection, dialect: StorageDialect, member: str, user: str | None, role: Role = Role.ANALYST
) -> dict[str, Any]:
    """The named user of `member`, or the member's system principal with `role` (created once)."""
    if user:
        principal = find_principal(conn, user)
        if principal is None or principal["member_code"] != member:
            raise NotFound(f"there is no user {user!r} of member {member}")
        return principal
    username = f"{member.lower()}.system.{role.value}"
    return find_principal(conn, username) or add_principal(
        conn, dialect, username=username, member=member, role=role, kind="system", actor=OPERATOR
    )


def acting_as(centre: Centre, member: str, user: str | None = None, role: Role = Role.ANALYST) -> Principal:
    """The Principal a command acts as: a user of `member`, or its system principal with `role`."""
    check_code(member)
    with centre.db.write() as conn:
        row = acting_principal(conn, centre.db.dialect, member, user, role)
        status = MemberStatus(get_member(conn, member)["status"])
    return Principal(row["id"], row["username"], member, Role(row["role"]), status)


@member_app.command("add")
@readable_errors
def member_add(
    code: str = typer.Argument(..., help="2-8 upper-case letters or digits, e.g. IQ"),
    name: str = typer.Option(..., "--name", help="name in English"),
    name_ar: str = typer.Option(None, "--name-ar", help="name in Arabic"),
    name_fa: str = typer.Option(None, "--name-fa", help="name in Persian"),
    name_ru: str = typer.Option(None, "--name-ru", help="name in Russian"),
    database_url: DatabaseUrl = None,
) -> None:
    """Add an active member organisation."""
    centre = centre_for(database_url)
    with centre.db.write() as conn:
        row = add_member(
            conn,
            centre.db.dialect,
            code=check_code(code),
            names=_names(name, name_ar, name_fa, name_ru),
            actor=OPERATOR,
        )
    typer.echo(f"member {row['code']} added")


@member_app.command("list")
@readable_errors
def member_list(database_url: DatabaseUrl = None) -> None:
    """List members with their status and names."""
    centre = centre_for(database_url)
    with centre.db.read() as conn:
        rows = list_members(conn)
    for r in rows:
        names = "  ".join(f"{k}:{v}" for k, v in r["names"].items())
        typer.echo(f"{r['code']:<8} {r['status']:<10} {iso(r['joined_at'])}  {names}")


@member_app.command("endpoint")
@readable_errors
def member_endpoint(
    code: str = typer.Argument(..., help="member code"),
    url: str = typer.Option(..., "--url", help="the member's webhook receiver, http:// or https://"),
    secret: str = typer.Option(
        ..., "--secret", envvar="MARKAZ_ENDPOINT_SECRET", help="shared secret the centre signs requests with"
    ),
    database_url: DatabaseUrl = None,
) -> None:
    """Register a webhook endpoint for a member (deliveries are POSTed to it, signed)."""
    from markaz.dissemination.channels import add_endpoint

    centre = centre_for(database_url)
    with centre.db.write() as conn:
        row = add_endpoint(
            conn, centre.db.dialect, member=check_code(code), url=url, secret=secret, actor=OPERATOR
        )
    typer.echo(f"endpoint {row['id']} of {code}: {row['url']}")


@user_app.command("add")
@readable_errors
def user_add(
    username: str = typer.Argument(..., help="lower-case letters, digits, . _ -"),
    member: str = typer.Option(..., "--member", help="member code"),
    role: Role = typer.Option(Role.ANALYST, "--role"),
    password: str = typer.Option(
        ...,
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="MARKAZ_NEW_PASSWORD",
        help="asked for when not given",
    ),
    database_url: DatabaseUrl = None,
) -> None:
    """Add a person who signs in to the web interface."""
    # fullmatch: with match, "$" also matches before a final newline ("ali\n" passed).
    if not _USERNAME.fullmatch(username):
        raise InvalidInput(
            "a user name is 2-64 lower-case letters, digits, '.', '_' or '-'", field="username"
        )
    if len(password) < 10:
        raise InvalidInput("a password needs at least 10 characters", field="password")
    centre = centre_for(database_url)
    with centre.db.write() as conn:
        add_principal(
            conn,
            centre.db.dialect,
            username=username,
            member=check_code(member),
            role=role,
            password=password,
            actor=OPERATOR,
        )
    typer.echo(f"user {username} ({role.value}) added to {member}")


@token_app.command("create")
@readable_errors
def token_create(
    member: str = typer.Option(..., "--member", help="member code"),
    role: Role = typer.Option(Role.ANALYST, "--role", help="role of the system the token stands for"),
    user: str = typer.Option(None, "--user", help="issue the token to this existing user instead"),
    expires: str = typer.Option("90d", "--expires", help="lifetime: 90d, 12h, 30m"),
    scope: Scope = typer.Option(
        None, "--scope", help="read, write or admin (default: the most the role can use)"
    ),
    database_url: DatabaseUrl = None,
) -> None:
    """Create an API token; prints only the token (it is not shown again)."""
    lifetime = parse_duration(expires)
    check_code(member)
    centre = centre_for(database_url)
    with centre.db.write() as conn:
        principal = acting_principal(conn, centre.db.dialect, member, user, role)
        token, _row = create_token(
            conn,
            centre.db.dialect,
            principal_id=principal["id"],
            expires_in=lifetime,
            actor=OPERATOR,
            scope=scope,
        )
    typer.echo(token)


@token_app.command("list")
@readable_errors
def token_list(member: str = typer.Option(None, "--member"), database_url: DatabaseUrl = None) -> None:
    """List tokens (their ids and first characters, never the token)."""
    centre = centre_for(database_url)
    with centre.db.read() as conn:
        rows = list_tokens(conn, member)
    for r in rows:
        state = "revoked" if r["revoked_at"] else f"expires {iso(r['expires_at'])}"
        typer.echo(
            f"{r['id']:>5}  {r['member_code']:<8} {r['username']:<32} {r['prefix']}…  "
            f"{r['scope']:<5}  {state}"
        )


@token_app.command("revoke")
@readable_errors
def token_revoke(token_id: int = typer.Argument(...), database_url: DatabaseUrl = None) -> None:
    """Revoke a token at once."""
    centre = centre_for(database_url)
    with centre.db.write() as conn:
        revoke_token(conn, centre.db.dialect, token_id, actor=OPERATOR)
    typer.echo(f"token {token_id} revoked")


def register(app: typer.Typer) -> None:
    app.add_typer(member_app, name="member")
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
