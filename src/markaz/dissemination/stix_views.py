"""Views on reports as STIX 2.1: a comment becomes a `note`, a comment with an opinion an `opinion`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from markaz.dissemination import stix
from markaz.storage import interop

VIEW_TYPES = frozenset({"note", "opinion"})
# Comments sort after reference objects and reports added at the same instant.
COMMENT_KEY = "~"


def comment_object(row: Mapping[str, Any], root: str) -> dict[str, Any]:
    """One comment on a report (`root`: the first version's id, which names the report object)."""
    when = stix.ts(row["created_at"])
    kind = "opinion" if row["opinion"] else "note"
    obj: dict[str, Any] = {
        "type": kind,
        "spec_version": stix.SPEC_VERSION,
        "id": stix.stix_id(kind, f"comment:{row['id']}"),
        "created": when,
        "modified": when,
        "created_by_ref": stix.member_identity_id(row["member_code"]),
        "authors": [row["author"]],
        "object_refs": [stix.stix_id("report", f"report:{root}")],
        "object_marking_refs": [stix.TLP_MARKINGS[row["tlp"]]],
    }
    if row["opinion"]:
        obj["opinion"] = row["opinion"]
        obj["explanation"] = row["body"]
    else:
        obj["content"] = row["body"]
    return obj


def comment_objects(
    conn: Connection,
    viewer: str,
    *,
    start: tuple[datetime, str] | None,
    added_after: datetime | None,
    limit: int | None,
) -> list[tuple[datetime, str, dict[str, Any]]]:
    """(date added, comment id, object) of comments on reports the viewer may read, oldest first."""
    rows = interop.report_comments(conn, viewer, start=start, added_after=added_after, limit=limit)
    reports = {
        r["target_id"]: {
            "id": r["target_id"],
            "supersedes": r["supersedes"],
            "created_at": r["report_created_at"],
        }
        for r in rows
    }
    chains = stix.chains_for(conn, viewer, list(reports.values()))
    return [(r["created_at"], r["id"], comment_object(r, chains[r["target_id"]].root_id)) for r in rows]
