"""Signed submissions: verified on arrival, kept, re-checked by audit verify; the signer follows the doc."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import func, select, update
from tests.asgi_client import ASGIClient
from tests.conftest import Account, add_account
from typer.testing import CliRunner

from markaz.centre import Centre
from markaz.cli import build_app
from markaz.domain.enums import Role
from markaz.storage import audit
from markaz.storage.canonical import object_hash, report_snapshot
from markaz.storage.schema import observations, report_access, reports
from markaz.storage.schema_security import report_signatures

# The signer below is written from the recipe in docs/security.md, not from markaz's code.
DEFAULTS: dict[str, Any] = {
    "body": "",
    "language": None,
    "observed_at": None,
    "precedence": "ROUTINE",
    "source_reliability": "F",
    "information_credibility": "6",
    "tlp": "AMBER",
    "releasable_to": ["ALL"],
    "client_ref": None,
    "observations": [],
}


def _utc(text: str | None) -> str | None:
    if text is None:
        return None
    return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def document(member: str, report: dict[str, Any]) -> bytes:
    doc = {**DEFAULTS, **{k: v for k, v in report.items() if k != "signature"}, "originator": member}
    doc["observed_at"] = _utc(doc["observed_at"])
    doc["observations"] = [
        {
            "category": o["category"],
            "geometry": {
                "type": o["geometry"]["type"],
                "coordinates": json.loads(json.dumps(o["geometry"]["coordinates"]), parse_int=float),
            },
            "subject": o.get("subject"),
            "note": o.get("note"),
            "observed_at": _utc(o.get("observed_at")),
        }
        for o in doc["observations"]
    ]
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(key: Ed25519PrivateKey, key_id: str, member: str, report: dict[str, Any]) -> dict[str, Any]:
    sig = base64.b64encode(key.sign(document(member, report))).decode()
    return {**report, "signature": {"key_id": key_id, "sig": sig}}


def public_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


REPORT = {
    "title": "مستودع أسلحة قرب الرقة",
    "body": "شاحنات — 12 truck(s)\nثانية",
    "observed_at": "2026-11-20T08:15:00+03:00",
    "precedence": "PRIORITY",
    "releasable_to": ["SY", "IQ"],
    "client_ref": "signed-1",
    "observations": [
        {
            "category": "weapons_depot",
            "geometry": {"type": "Point", "coordinates": [39, 35.953]},
            "subject": "Group A (synthetic)",
            "observed_at": "2026-11-20T05:00:00Z",
        }
    ],
}


def _register(client: ASGIClient, centre: Centre, member: str) -> tuple[Ed25519PrivateKey, str]:
    admin = add_account(centre, member, Role.MEMBER_ADMIN, new_member=False)
    key = Ed25519PrivateKey.generate()
    r = client.post("/api/v1/signing-keys", headers=admin.headers, json={"public_key": public_b64(key)})
    assert r.status_code == 201, r.text
    return key, r.json()["key_id"]


def _count(centre: Centre, table: Any = reports) -> int:
    with centre.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_signed_report_is_verified_kept_and_provable(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    iq = accounts["IQ"]
    key, key_id = _register(client, centre, "IQ")
    r = client.post("/api/v1/reports", headers=iq.headers, json=sign(key, key_id, "IQ", REPORT))
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    proof = client.get(f"/api/v1/reports/{rid}/signature", headers=accounts["SY"].headers)
    assert proof.status_code == 200
    body = proof.json()
    # The member (or anyone it was released to) re-checks: the document re-built from what the
    # centre stores is byte for byte what was signed.
    rebuilt = json.dumps(
        body["signed_document"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    assert rebuilt == document("IQ", REPORT)
    key.public_key().verify(base64.b64decode(body["signature"]), rebuilt)
    # Not released to RU: the same 404 as a report that does not exist.
    assert client.get(f"/api/v1/reports/{rid}/signature", headers=accounts["RU"].headers).status_code == 404
    with centre.db.read() as conn:
        assert audit.verify(conn).ok


def test_bad_signatures_are_refused_and_nothing_stored(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account]
) -> None:
    iq = accounts["IQ"]
    key, key_id = _register(client, centre, "IQ")
    other_key, other_id = _register(client, centre, "SY")
    signed = sign(key, key_id, "IQ", REPORT)
    cases = {
        "altered after signing": {**signed, "title": "something else"},
        "default spelled differently": {**sign(key, key_id, "IQ", REPORT), "tlp": "GREEN"},
        "another member's key": sign(other_key, other_id, "IQ", REPORT),
        "signed as another member": sign(key, key_id, "SY", REPORT),
        "unknown key": {**signed, "signature": {**signed["signature"], "key_id": "0" * 32}},
    }
    for name, body in cases.items():
        r = client.post("/api/v1/reports", headers=iq.headers, json=body)
        assert r.status_code == 422, (name, r.text)
        assert r.json()["error"]["code"] == "signature_invalid", name
    malformed = {**signed, "signature": {"key_id": key_id, "sig": "not base64"}}
    assert client.post("/api/v1/reports", headers=iq.headers, json=malformed).status_code == 422
    assert _count(centre) == 0 and _count(centre, report_signatures) == 0
    # In a batch, the bad item is reported and the good ones are stored with their signatures.
    batch = [signed, cases["altered after signing"], {"title": "unsigned"}]
    out = client.post("/api/v1/reports:batch", headers=iq.headers, json=batch).json()
    assert [i["status"] for i in out["results"]] == ["created", "error", "created"]
    assert out["results"][1]["error"]["code"] == "signature_invalid"
    assert _count(centre) == 2 and _count(centre, report_signatures) == 1
    # A revoked key signs nothing new.
    admin = add_account(centre, "IQ", Role.MEMBER_ADMIN, new_member=False)
    assert client.post(f"/api/v1/signing-keys/{key_id}:revoke", headers=admin.headers).status_code == 200
    again = sign(key, key_id, "IQ", {**REPORT, "client_ref": "signed-2"})
    assert client.post("/api/v1/reports", headers=iq.headers, json=again).status_code == 422


def test_audit_verify_finds_a_report_altered_behind_a_consistent_chain(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account], database_url: str
) -> None:
    iq = accounts["IQ"]
    key, key_id = _register(client, centre, "IQ")
    rid = client.post("/api/v1/reports", headers=iq.headers, json=sign(key, key_id, "IQ", REPORT)).json()[
        "id"
    ]
    # The operator edits the report and records the edit in the chain, as someone with the
    # database could: the chain alone is consistent again, the member's signature is not.
    with centre.db.write() as conn:
        conn.execute(
            update(reports).where(reports.c.id == rid).values(releasable_to=["ALL"], title="changed")
        )
        row = dict(conn.execute(select(reports).where(reports.c.id == rid)).mappings().one())
        recipients = conn.execute(select(report_access.c.member_code).where(report_access.c.report_id == rid))
        obs = [
            dict(o)
            for o in conn.execute(select(observations).where(observations.c.report_id == rid)).mappings()
        ]
        snapshot = report_snapshot(row, [r[0] for r in recipients], obs)
        audit.append(
            conn,
            centre.db.dialect,
            "operator",
            [audit.AuditEvent("report.edit", "report", rid, object_hash(snapshot))],
        )
    with centre.db.read() as conn:
        result = audit.verify(conn)
    assert not result.ok
    assert f"report {rid}: its signature by key {key_id}" in (result.problem or "")
    cli = CliRunner().invoke(build_app(), ["audit", "verify", "--database-url", database_url])
    assert cli.exit_code != 0 and "signature" in cli.output


def test_key_registration_rules(
    client: ASGIClient, centre: Centre, accounts: dict[str, Account], database_url: str
) -> None:
    analyst = accounts["IQ"]
    key = Ed25519PrivateKey.generate()
    # An analyst's token (write scope) may not manage keys; a member_admin may.
    r = client.post("/api/v1/signing-keys", headers=analyst.headers, json={"public_key": public_b64(key)})
    assert r.status_code == 403
    admin = add_account(centre, "IQ", Role.MEMBER_ADMIN, new_member=False)
    for bad in ("", "AAAA", "x" * 44, base64.b64encode(b"\x00" * 31).decode()):
        r = client.post("/api/v1/signing-keys", headers=admin.headers, json={"public_key": bad})
        assert r.status_code == 422, (bad, r.text)
    ok = client.post("/api/v1/signing-keys", headers=admin.headers, json={"public_key": public_b64(key)})
    assert ok.status_code == 201
    twice = client.post("/api/v1/signing-keys", headers=admin.headers, json={"public_key": public_b64(key)})
    assert twice.status_code == 409
    listed = client.get("/api/v1/signing-keys", headers=analyst.headers).json()
    assert [k["key_id"] for k in listed] == [ok.json()["key_id"]]
    assert client.get("/api/v1/signing-keys", headers=accounts["SY"].headers).json() == []
    # The CLI registers, lists and revokes, audited like the API.
    runner, cli = CliRunner(), build_app()
    other = public_b64(Ed25519PrivateKey.generate())
    added = runner.invoke(
        cli, ["key", "add", "--member", "SY", "--public-key", other, "--database-url", database_url]
    )
    assert added.exit_code == 0, added.output
    key_id = added.output.strip()
    assert key_id in runner.invoke(cli, ["key", "list", "--database-url", database_url]).output
    bad = runner.invoke(
        cli, ["key", "add", "--member", "SY", "--public-key", "nope", "--database-url", database_url]
    )
    assert bad.exit_code != 0 and bad.output.startswith("error: ")
    revoked = runner.invoke(cli, ["key", "revoke", key_id, "--member", "SY", "--database-url", database_url])
    assert revoked.exit_code == 0
    with centre.db.read() as conn:
        assert audit.verify(conn).ok
