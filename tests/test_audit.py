"""The audit chain: intact after normal writes, and tampering behind the application's back is found."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Connection, delete, insert, select, text, update
from typer.testing import CliRunner

from markaz.centre import Centre
from markaz.cli import build_app
from markaz.storage.audit import verify
from markaz.storage.schema import audit_log, members, reports
from tests.asgi_client import ASGIClient
from tests.conftest import Account


def _submit(client: ASGIClient, account: Account, n: int = 3) -> list[str]:
    ids = []
    for i in range(n):
        r = client.post(
            "/api/v1/reports",
            headers=account.headers,
            json={
                "title": f"report {i}",
                "releasable_to": ["ALL"],
                "observations": [
                    {"category": "position", "geometry": {"type": "Point", "coordinates": [40, 35]}}
                ],
            },
        )
        ids.append(r.json()["id"])
    client.post(f"/api/v1/reports/{ids[0]}:retract", headers=account.headers, json={"reason": "wrong"})
    return ids


def _alter_title(conn: Connection, ids: list[str]) -> None:
    conn.execute(update(reports).where(reports.c.id == ids[1]).values(title="altered"))


def _alter_recipients(conn: Connection, ids: list[str]) -> None:
    conn.execute(text("DELETE FROM report_access WHERE report_id = :r AND member_code = 'SY'"), {"r": ids[1]})


def _alter_observation(conn: Connection, ids: list[str]) -> None:
    conn.execute(
        text("UPDATE observations SET geometry = :g WHERE report_id = :r"),
        {"g": '{"type": "Point", "coordinates": [41.0, 35.0]}', "r": ids[2]},
    )


def _delete_entry(conn: Connection, ids: list[str]) -> None:
    conn.execute(delete(audit_log).where(audit_log.c.seq == 5))


def _alter_entry(conn: Connection, ids: list[str]) -> None:
    conn.execute(update(audit_log).where(audit_log.c.seq == 3).values(actor="someone else"))


def _drop_last_entry(conn: Connection, ids: list[str]) -> None:
    last = conn.execute(select(audit_log.c.seq).order_by(audit_log.c.seq.desc())).scalars().first()
    conn.execute(delete(audit_log).where(audit_log.c.seq == last))


def _insert_member(conn: Connection, ids: list[str]) -> None:
    row = conn.execute(select(members).where(members.c.code == "IQ")).mappings().one()
    conn.execute(insert(members).values({**row, "code": "XX", "founding_order": 99}))


def _delete_report(conn: Connection, ids: list[str]) -> None:
    for table in ("report_access", "observations", "report_search"):
        conn.execute(text(f"DELETE FROM {table} WHERE report_id = :r"), {"r": ids[2]})
    conn.execute(delete(reports).where(reports.c.id == ids[2]))


def _unretract(conn: Connection, ids: list[str]) -> None:
    conn.execute(update(reports).where(reports.c.id == ids[0]).values(status="active", retracted_at=None))


TAMPERING: dict[str, tuple[Callable[[Connection, list[str]], None], str]] = {
    "report title altered": (_alter_title, "was altered"),
    "recipient removed": (_alter_recipients, "was altered"),
    "observation moved": (_alter_observation, "was altered"),
    "entry deleted": (_delete_entry, "entry 5 is missing"),
    "entry altered": (_alter_entry, "audit entry 3 was altered"),
    "last entry deleted": (_drop_last_entry, "entries were removed"),
    "member inserted": (_insert_member, "member XX is stored but was never audited"),
    "report deleted": (_delete_report, "was deleted"),
    "retraction undone": (_unretract, "was altered"),
}


def test_chain_intact_after_writes(centre: Centre, client: ASGIClient, accounts: dict[str, Account]) -> None:
    _submit(client, accounts["IQ"])
    with centre.db.read() as conn:
        result = verify(conn)
    assert result.ok, result.problem
    assert result.entries > 0 and result.objects > 0


@pytest.mark.parametrize("case", list(TAMPERING))
def test_tampering_is_found(
    centre: Centre, client: ASGIClient, accounts: dict[str, Account], database_url: str, case: str
) -> None:
    ids = _submit(client, accounts["IQ"])
    tamper, expected = TAMPERING[case]
    # Straight into the database, as an intruder with file or SQL access would.
    with centre.db.engine.begin() as conn:
        tamper(conn, ids)
    with centre.db.read() as conn:
        result = verify(conn)
    assert not result.ok
    assert expected in (result.problem or "")
    cli = CliRunner().invoke(build_app(), ["audit", "verify", "--database-url", database_url])
    assert cli.exit_code == 1
    assert expected in cli.output
