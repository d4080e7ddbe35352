"""The hash-chained audit log: every write appends, `markaz audit verify` recomputes."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from markaz.storage.canonical import (
    canonical_json,
    chair_term_snapshot,
    iso,
    member_snapshot,
    object_hash,
    principal_snapshot,
    report_snapshot,
    rotation_snapshot,
    sha256_hex,
    suggestion_snapshot,
    token_snapshot,
)
from markaz.storage.dialects import StorageDialect
from markaz.storage.in_list import one_of
from markaz.storage.motions import load_motion, motion_snapshot
from markaz.storage.schema import (
    api_tokens,
    audit_head,
    audit_log,
    chair_rotation,
    chair_terms,
    members,
    motions,
    observations,
    principals,
    report_access,
    reports,
    suggestions,
)

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditEvent:
    """One write to record: what was done, to which object, and the object's new snapshot."""

    action: str
    object_type: str
    object_id: str
    object_hash: str

    @classmethod
    def of(cls, action: str, object_type: str, object_id: str, snapshot: Mapping[str, Any]) -> AuditEvent:
        return cls(action, object_type, object_id, object_hash(snapshot))


def entry_hash(entry: Mapping[str, Any]) -> str:
    return sha256_hex(
        canonical_json(
            {
                "seq": entry["seq"],
                "at": iso(entry["at"]),
                "actor": entry["actor"],
                "action": entry["action"],
                "object_type": entry["object_type"],
                "object_id": entry["object_id"],
                "object_hash": entry["object_hash"],
                "prev_hash": entry["prev_hash"],
            }
        )
    )


def append(
    conn: Connection,
    dialect: StorageDialect,
    actor: str,
    events: Sequence[AuditEvent],
    at: datetime | None = None,
) -> None:
    """Append `events` to the chain inside the caller's transaction, in one executemany."""
    if not events:
        return
    at = at or datetime.now(UTC)
    seq, prev = dialect.lock_audit_head(conn)
    rows = []
    for event in events:
        seq += 1
        entry = {
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "object_hash": event.object_hash,
            "prev_hash": prev,
        }
        entry["entry_hash"] = prev = entry_hash(entry)
        rows.append(entry)
    dialect.bulk_insert(conn, audit_log, rows)
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=seq, hash=prev))


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    objects: int
    problem: str | None = None


def _stored_objects(conn: Connection) -> Iterator[tuple[str, str, str]]:
    """(object_type, object_id, hash of its current snapshot) for every audited object."""
    simple: list[tuple[str, Any, Callable[[Mapping[str, Any]], dict[str, Any]], str]] = [
        ("member", members, member_snapshot, "code"),
        ("principal", principals, principal_snapshot, "id"),
        ("token", api_tokens, token_snapshot, "id"),
    ]
    for object_type, table, snapshot, key in simple:
        for row in conn.execute(select(table)).mappings():
            yield object_type, str(row[key]), object_hash(snapshot(dict(row)))
    # circles.py writes through this module, so it is imported here rather than at the top.
    from markaz.storage.circles import circle_snapshot, list_circles

    for row in conn.execute(select(chair_rotation)).mappings():
        yield "rotation", str(row["id"]), object_hash(rotation_snapshot(dict(row)))

    for motion_id in conn.execute(select(motions.c.id)).scalars().all():
        yield "motion", motion_id, object_hash(motion_snapshot(load_motion(conn, motion_id)))

    for row in conn.execute(select(suggestions)).mappings():
        yield "suggestion", str(row["id"]), object_hash(suggestion_snapshot(dict(row)))
    from markaz.storage.fusion import decision_hashes

    yield from decision_hashes(conn)
    from markaz.storage.comments import stored_comment_hashes
    from markaz.storage.products import stored_product_hashes

    yield from stored_comment_hashes(conn)
    yield from stored_product_hashes(conn)
    for row in conn.execute(select(chair_terms)).mappings():
        yield "chair_term", row["starts_on"].isoformat(), object_hash(chair_term_snapshot(dict(row)))

    from markaz.storage.dissemination import stored_objects as dissemination_objects

    yield from dissemination_objects(conn)

    from markaz.security.signing import audited_objects

    yield from audited_objects(conn)
    for circle in list_circles(conn):
        yield "circle", circle["name"], object_hash(circle_snapshot(circle, circle["members"]))
    # Reports with their recipients and observations, a chunk of reports at a time.
    chunk: list[Mapping[str, Any]] = []
    for row in conn.execute(select(reports)).mappings():
        chunk.append(dict(row))
        if len(chunk) >= 1000:
            yield from _report_hashes(conn, chunk)
            chunk = []
    yield from _report_hashes(conn, chunk)


def _report_hashes(conn: Connection, chunk: Sequence[Mapping[str, Any]]) -> Iterator[tuple[str, str, str]]:
    if not chunk:
        return
    ids = [row["id"] for row in chunk]
    recipients: dict[str, list[str]] = {i: [] for i in ids}
    for rid, code in conn.execute(
        select(report_access.c.report_id, report_access.c.member_code).where(
            one_of(report_access.c.report_id, ids)
        )
    ):
        recipients[rid].append(code)
    obs: dict[str, list[Mapping[str, Any]]] = {i: [] for i in ids}
    for o in conn.execute(select(observations).where(one_of(observations.c.report_id, ids))).mappings():
        obs[o["report_id"]].append(dict(o))
    for row in chunk:
        rid = row["id"]
        yield "report", rid, object_hash(report_snapshot(row, recipients[rid], obs[rid]))


def verify(conn: Connection) -> VerifyResult:
    """Recompute the chain and every object's hash; name the first thing that does not match."""
    prev = GENESIS_HASH
    expected_seq = 0
    last: dict[tuple[str, str], tuple[int, str]] = {}
    for row in conn.execute(select(audit_log).order_by(audit_log.c.seq)).mappings():
        expected_seq += 1
        seq = row["seq"]
        if seq != expected_seq:
            return VerifyResult(False, seq, 0, f"audit entry {expected_seq} is missing (next is {seq})")
        if row["prev_hash"] != prev:
            return VerifyResult(False, seq, 0, f"audit entry {seq} does not link to entry {seq - 1}")
        if entry_hash(dict(row)) != row["entry_hash"]:
            return VerifyResult(False, seq, 0, f"audit entry {seq} was altered (its hash does not match)")
        prev = row["entry_hash"]
        if row["action"].endswith(".removed"):
            # A deletion the application made and recorded: the object is expected to be gone.
            last.pop((row["object_type"], row["object_id"]), None)
        else:
            last[(row["object_type"], row["object_id"])] = (seq, row["object_hash"])
    head = conn.execute(select(audit_head.c.seq, audit_head.c.hash)).one()
    if head.seq != expected_seq or head.hash != prev:
        return VerifyResult(
            False,
            expected_seq,
            0,
            f"the audit chain ends at entry {expected_seq} but its head says {head.seq}: "
            "entries were removed",
        )
    problems: list[tuple[int, str]] = []
    count = 0
    for object_type, object_id, digest in _stored_objects(conn):
        count += 1
        audited = last.pop((object_type, object_id), None)
        if audited is None:
            problems.append((expected_seq + 1, f"{object_type} {object_id} is stored but was never audited"))
        elif audited[1] != digest:
            problems.append(
                (
                    audited[0],
                    f"audit entry {audited[0]}: {object_type} {object_id} was altered after it was written",
                )
            )
    for (object_type, object_id), (seq, _digest) in last.items():
        problems.append((seq, f"audit entry {seq}: {object_type} {object_id} was deleted"))
    # A signature kept with a report must still verify against the stored report: this holds
    # even against someone who could rewrite the whole chain (docs/security.md).
    from markaz.security.signing import signature_problems

    problems.extend((expected_seq + 1, message) for message in signature_problems(conn))
    if problems:
        problems.sort()
        return VerifyResult(False, expected_seq, count, problems[0][1])
    return VerifyResult(True, expected_seq, count)
