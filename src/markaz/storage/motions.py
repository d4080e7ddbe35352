"""Stored votes (motions) and their canonical snapshot for the audit chain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from markaz.errors import NotFound
from markaz.storage.canonical import iso
from markaz.storage.schema import motion_votes, motions


def load_motion(conn: Connection, motion_id: str) -> dict[str, Any]:
    row = conn.execute(select(motions).where(motions.c.id == motion_id)).mappings().first()
    if row is None:
        raise NotFound(f"there is no vote {motion_id}")
    out = dict(row)
    out["votes"] = {
        v.member_code: (v.choice, v.cast_at)
        for v in conn.execute(select(motion_votes).where(motion_votes.c.motion_id == motion_id))
    }
    return out


def motion_snapshot(m: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": m["id"],
        "kind": m["kind"],
        "subject": m["subject"],
        "candidate": m["candidate"],
        "status": m["status"],
        "opened_by": m["opened_by"],
        "opened_at": iso(m["opened_at"]),
        "deadline": iso(m["deadline"]),
        "quorum": [m["quorum_num"], m["quorum_den"]],
        "rule_name": m["rule"],
        "decided_at": iso(m["decided_at"]),
        "outcome": m["outcome"],
        "credentials_issued": bool(m["credentials_issued"]),
        "votes": {k: [c, iso(t)] for k, (c, t) in sorted(m["votes"].items())},
    }
