"""Canonical JSON snapshots of stored objects: what the audit chain hashes and verifies."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson


def iso(value: datetime | None) -> str | None:
    """The one text form of a time in markaz: UTC, microseconds, `Z`."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    if value.year >= 1000:
        # isoformat is twice as fast as strftime and gives the same text from year 1000 on
        # ("+00:00" replaced by "Z"); strftime does not pad earlier years to four digits.
        return value.isoformat(timespec="microseconds")[:-6] + "Z"
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def member_snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "code": row["code"],
        "names": row["names"],
        "status": row["status"],
        "joined_at": iso(row["joined_at"]),
        "founding_order": row["founding_order"],
    }


def principal_snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "member_code": row["member_code"],
        "username": row["username"],
        "kind": row["kind"],
        "role": row["role"],
        "password_hash": row["password_hash"],
        "created_at": iso(row["created_at"]),
        "disabled_at": iso(row["disabled_at"]),
    }


def token_snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    snap = {
        "id": row["id"],
        "principal_id": row["principal_id"],
        "token_hash": row["token_hash"],
        "prefix": row["prefix"],
        "created_at": iso(row["created_at"]),
        "expires_at": iso(row["expires_at"]),
        "revoked_at": iso(row["revoked_at"]),
    }
    # Tokens audited before scopes existed are "admin" and were hashed without the field;
    # leaving it out for "admin" keeps their entries verifiable, and any change of scope
    # still changes the hash.
    scope = row.get("scope") or "admin"
    if scope != "admin":
        snap["scope"] = scope
    return snap


_REPORT_FIELDS = (
    "id",
    "originator",
    "author_id",
    "author",
    "title",
    "body",
    "language",
    "precedence",
    "source_reliability",
    "information_credibility",
    "tlp",
    "releasable_to",
    "status",
    "supersedes",
    "superseded_by",
    "retraction_reason",
    "client_ref",
)
_OBSERVATION_FIELDS = ("ordinal", "category", "geometry", "subject", "note")


def report_snapshot(
    row: Mapping[str, Any],
    recipients: Iterable[str],
    observations: Iterable[Mapping[str, Any]],
) -> dict[str, Any]:
    snap: dict[str, Any] = {k: row[k] for k in _REPORT_FIELDS}
    snap["created_at"] = iso(row["created_at"])
    snap["observed_at"] = iso(row["observed_at"])
    snap["retracted_at"] = iso(row["retracted_at"])
    snap["recipients"] = sorted(recipients)
    snap["observations"] = [
        {**{k: o[k] for k in _OBSERVATION_FIELDS}, "observed_at": iso(o["observed_at"])}
        for o in sorted(observations, key=lambda o: int(o["ordinal"]))
    ]
    return snap


def rotation_snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "first_chair": row["first_chair"],
        "starts_on": row["starts_on"].isoformat(),
        "term_months": row["term_months"],
    }


def chair_term_snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    """A served chair term: {member_code, starts_on, ends_on, closed_early}."""
    return {
        "member": row["member_code"],
        "starts_on": row["starts_on"].isoformat(),
        "ends_on": row["ends_on"].isoformat(),
        "closed_early": bool(row["closed_early"]),
    }


def suggestion_snapshot(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "report_id": row["report_id"],
        "category": row["category"],
        "geometry": row["geometry"],
        "evidence": row["evidence"],
        "confidence": row["confidence"],
        "state": row["state"],
        "decided_by": row["decided_by"],
        "decided_at": iso(row["decided_at"]),
    }


def object_hash(snapshot: Mapping[str, Any]) -> str:
    return sha256_hex(canonical_json(snapshot))
