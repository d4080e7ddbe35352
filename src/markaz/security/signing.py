"""Signed submissions: members' Ed25519 keys, the canonical form of a report, verification.

What is signed (docs/security.md has the recipe for any Ed25519 library): the UTF-8 bytes of
the canonical JSON of the report as the centre accepted it, built only from fields the
centre stores, so the signature can be checked again against the stored report at any
time, by the member or by `markaz audit verify`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, insert, select, update

from markaz.domain.models import ReportCreate
from markaz.errors import Conflict, Forbidden, InvalidInput, NotFound
from markaz.storage import audit
from markaz.storage.canonical import iso, object_hash
from markaz.storage.dialects import StorageDialect
from markaz.storage.schema import observations, reports
from markaz.storage.schema_security import report_signatures, signing_keys

SIGNED_FIELDS = (
    "title",
    "body",
    "language",
    "precedence",
    "source_reliability",
    "information_credibility",
    "tlp",
    "releasable_to",
    "client_ref",
)
OBSERVATION_FIELDS = ("category", "geometry", "subject", "note")


class SignatureInvalid(InvalidInput):
    code = "signature_invalid"


def canonical_bytes(document: Mapping[str, Any]) -> bytes:
    """Keys sorted, no spaces, UTF-8 unescaped: Python's json.dumps with these options."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signed_document(
    originator: str, report: Mapping[str, Any], obs: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The document a member signs, from plain values (times as datetimes or None)."""
    doc: dict[str, Any] = {k: report[k] for k in SIGNED_FIELDS}
    doc["originator"] = originator
    doc["observed_at"] = iso(report["observed_at"])
    doc["observations"] = [
        {**{k: o[k] for k in OBSERVATION_FIELDS}, "observed_at": iso(o["observed_at"])} for o in obs
    ]
    return doc


def document_of_submission(originator: str, report: ReportCreate) -> dict[str, Any]:
    values = {k: getattr(report, k) for k in SIGNED_FIELDS}
    for k in ("precedence", "source_reliability", "information_credibility", "tlp"):
        values[k] = values[k].value
    values["releasable_to"] = list(report.releasable_to)
    values["observed_at"] = report.observed_at
    obs = [
        {
            "category": o.category.value,
            "geometry": o.geometry.model_dump(),
            "subject": o.subject,
            "note": o.note,
            "observed_at": o.observed_at,
        }
        for o in report.observations
    ]
    return signed_document(originator, values, obs)


def key_id_for(raw_public_key: bytes) -> str:
    return hashlib.sha256(raw_public_key).hexdigest()[:32]


def _b64(text: str, what: str, size: int) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{what} is not standard base64", field=what) from None
    if len(raw) != size:
        raise InvalidInput(f"{what} must be {size} bytes (base64 of the raw value)", field=what)
    return raw


def verifies(public_key_b64: str, signature_b64: str, message: bytes) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
        key.verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def key_snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "key_id": row["key_id"],
        "member_code": row["member_code"],
        "public_key": row["public_key"],
        "created_at": iso(row["created_at"]),
        "created_by": row["created_by"],
        "revoked_at": iso(row["revoked_at"]),
    }


def signature_snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "report_id": row["report_id"],
        "key_id": row["key_id"],
        "signature": row["signature"],
        "signed_at": iso(row["signed_at"]),
    }


def register_key(
    conn: Connection, dialect: StorageDialect, *, member: str, public_key: str, actor: str
) -> dict[str, Any]:
    """Register a member's Ed25519 public key (base64 of the 32 raw bytes)."""
    raw = _b64(public_key.strip(), "public_key", 32)
    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise InvalidInput("public_key is not an Ed25519 public key", field="public_key") from None
    row: dict[str, Any] = {
        "key_id": key_id_for(raw),
        "member_code": member,
        "public_key": base64.b64encode(raw).decode(),
        "created_at": datetime.now(UTC),
        "created_by": actor,
        "revoked_at": None,
    }
    if conn.execute(select(signing_keys.c.key_id).where(signing_keys.c.key_id == row["key_id"])).first():
        raise Conflict("this public key is already registered", field="public_key")
    conn.execute(insert(signing_keys).values(**row))
    audit.append(
        conn,
        dialect,
        actor,
        [audit.AuditEvent.of("key.register", "signing_key", row["key_id"], key_snapshot(row))],
    )
    return row


def revoke_key(
    conn: Connection, dialect: StorageDialect, *, member: str, key_id: str, actor: str
) -> dict[str, Any]:
    """Stop accepting signatures by this key; signatures it made stay verifiable."""
    row = conn.execute(select(signing_keys).where(signing_keys.c.key_id == key_id)).mappings().first()
    if row is None or row["member_code"] != member:
        raise NotFound(f"member {member} has no signing key {key_id}")
    if row["revoked_at"] is not None:
        return dict(row)
    revoked = {**row, "revoked_at": datetime.now(UTC)}
    conn.execute(
        update(signing_keys).where(signing_keys.c.key_id == key_id).values(revoked_at=revoked["revoked_at"])
    )
    audit.append(
        conn,
        dialect,
        actor,
        [audit.AuditEvent.of("key.revoke", "signing_key", key_id, key_snapshot(revoked))],
    )
    return revoked


def list_keys(conn: Connection, member: str | None = None) -> list[dict[str, Any]]:
    query = select(signing_keys).order_by(signing_keys.c.created_at)
    if member:
        query = query.where(signing_keys.c.member_code == member)
    return [dict(r) for r in conn.execute(query).mappings()]


def public(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "key_id": row["key_id"],
        "member": row["member_code"],
        "public_key": row["public_key"],
        "created_at": iso(row["created_at"]),
        "revoked_at": iso(row["revoked_at"]),
    }


def active_keys(conn: Connection, member: str) -> dict[str, str]:
    rows = conn.execute(
        select(signing_keys.c.key_id, signing_keys.c.public_key).where(
            signing_keys.c.member_code == member, signing_keys.c.revoked_at.is_(None)
        )
    )
    return {key_id: key for key_id, key in rows}


def check_submission(originator: str, report: ReportCreate, keys: Mapping[str, str]) -> None:
    """Raise SignatureInvalid unless `report.signature` verifies with one of `keys`."""
    signature = report.signature
    if signature is None:
        return
    key = keys.get(signature.key_id)
    if key is None:
        raise SignatureInvalid(
            f"signature.key_id {signature.key_id} is not an active signing key of member {originator}",
            field="signature.key_id",
        )
    if not verifies(key, signature.sig, canonical_bytes(document_of_submission(originator, report))):
        raise SignatureInvalid(
            "the signature does not verify: sign the canonical JSON of the report as described "
            "in docs/security.md, with the key named by key_id",
            field="signature.sig",
        )


def store_signatures(
    conn: Connection, dialect: StorageDialect, signed: Sequence[tuple[str, str, str]], actor: str
) -> None:
    """Keep (report_id, key_id, signature) rows, one executemany, audited."""
    if not signed:
        return
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = [
        {"report_id": r, "key_id": k, "signature": s, "signed_at": now} for r, k, s in signed
    ]
    conn.execute(insert(report_signatures), rows)
    audit.append(
        conn,
        dialect,
        actor,
        [
            audit.AuditEvent.of("report.signed", "report_signature", r["report_id"], signature_snapshot(r))
            for r in rows
        ],
    )


def signature_of(conn: Connection, report_id: str) -> dict[str, Any] | None:
    row = (
        conn.execute(
            select(report_signatures, signing_keys.c.public_key, signing_keys.c.member_code)
            .join(signing_keys, signing_keys.c.key_id == report_signatures.c.key_id)
            .where(report_signatures.c.report_id == report_id)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def stored_document(conn: Connection, report_id: str) -> dict[str, Any]:
    row = conn.execute(select(reports).where(reports.c.id == report_id)).mappings().one()
    obs = conn.execute(
        select(observations).where(observations.c.report_id == report_id).order_by(observations.c.ordinal)
    ).mappings()
    return signed_document(row["originator"], dict(row), [dict(o) for o in obs])


def audited_objects(conn: Connection) -> Iterator[tuple[str, str, str]]:
    """(object_type, object_id, hash) of signing keys and kept signatures, for audit verify."""
    for row in conn.execute(select(signing_keys)).mappings():
        yield "signing_key", row["key_id"], object_hash(key_snapshot(dict(row)))
    for row in conn.execute(select(report_signatures)).mappings():
        yield "report_signature", row["report_id"], object_hash(signature_snapshot(dict(row)))


def signature_problems(conn: Connection) -> Iterator[str]:
    """A sentence for every kept signature that no longer verifies against its stored report."""
    query = select(report_signatures, signing_keys.c.public_key, signing_keys.c.member_code).join(
        signing_keys, signing_keys.c.key_id == report_signatures.c.key_id
    )
    for row in conn.execute(query).mappings().all():
        document = stored_document(conn, row["report_id"])
        if document["originator"] != row["member_code"] or not verifies(
            row["public_key"], row["signature"], canonical_bytes(document)
        ):
            yield (
                f"report {row['report_id']}: its signature by key {row['key_id']} of member "
                f"{row['member_code']} does not verify against the stored report"
            )


def require_key_admin(principal_member: str, principal_role: str, member: str) -> None:
    if principal_member != member or principal_role not in ("member_admin", "centre_admin"):
        raise Forbidden("a member's signing keys are managed by its own member_admin")
