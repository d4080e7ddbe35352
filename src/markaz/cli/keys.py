"""`markaz key`: members' Ed25519 keys for signing their submissions."""

from __future__ import annotations

import typer

from markaz.cli._common import OPERATOR, DatabaseUrl, centre_for, readable_errors
from markaz.cli.members import check_code
from markaz.security import signing
from markaz.storage.canonical import iso
from markaz.storage.members import get_member

key_app = typer.Typer(help="Members' Ed25519 keys for signed submissions.", no_args_is_help=True)


@key_app.command("add")
@readable_errors
def key_add(
    member: str = typer.Option(..., "--member", help="member code"),
    public_key: str = typer.Option(..., "--public-key", help="base64 of the 32-byte Ed25519 public key"),
    database_url: DatabaseUrl = None,
) -> None:
    """Register a member's public key; prints its key_id (put it in each signature)."""
    centre = centre_for(database_url)
    with centre.db.write() as conn:
        get_member(conn, check_code(member))
        row = signing.register_key(
            conn, centre.db.dialect, member=member, public_key=public_key, actor=OPERATOR
        )
    typer.echo(row["key_id"])


@key_app.command("list")
@readable_errors
def key_list(member: str = typer.Option(None, "--member"), database_url: DatabaseUrl = None) -> None:
    """List signing keys: key_id, member, state, public key."""
    centre = centre_for(database_url)
    with centre.db.read() as conn:
        rows = signing.list_keys(conn, member)
    for r in rows:
        state = f"revoked {iso(r['revoked_at'])}" if r["revoked_at"] else "active"
        typer.echo(f"{r['key_id']}  {r['member_code']:<8} {state:<36} {r['public_key']}")


@key_app.command("revoke")
@readable_errors
def key_revoke(
    key_id: str = typer.Argument(...),
    member: str = typer.Option(..., "--member", help="the key's member"),
    database_url: DatabaseUrl = None,
) -> None:
    """Stop accepting signatures by a key; what it signed stays verifiable."""
    centre = centre_for(database_url)
    with centre.db.write() as conn:
        signing.revoke_key(conn, centre.db.dialect, member=check_code(member), key_id=key_id, actor=OPERATOR)
    typer.echo(f"key {key_id} revoked")


def register(app: typer.Typer) -> None:
    app.add_typer(key_app, name="key")
