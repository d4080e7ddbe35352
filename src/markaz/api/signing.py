"""REST routes for members' signing keys and the signatures kept with reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from markaz.api.deps import AdminPrincipal, CentreDep, CurrentPrincipal, JsonBody, body_doc
from markaz.api.responses import JSONBody
from markaz.collection.intake import parse_model
from markaz.dissemination import pull
from markaz.errors import NotFound
from markaz.security import signing
from markaz.storage.canonical import iso

router = APIRouter(prefix="/api/v1", tags=["security"])


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    public_key: str


class KeyPublic(BaseModel):
    key_id: str
    member: str
    public_key: str
    created_at: str
    revoked_at: str | None


class SignaturePublic(BaseModel):
    report_id: str
    key_id: str
    member: str
    public_key: str
    signature: str
    signed_at: str
    signed_document: dict[str, Any]


@router.get("/signing-keys", response_model=list[KeyPublic], summary="The caller's member's signing keys")
async def list_keys(centre: CentreDep, principal: CurrentPrincipal) -> Response:
    def work() -> list[dict[str, Any]]:
        with centre.db.read() as conn:
            return [signing.public(r) for r in signing.list_keys(conn, principal.member)]

    return JSONBody(await run_in_threadpool(work))


@router.post(
    "/signing-keys",
    status_code=201,
    response_model=KeyPublic,
    openapi_extra=body_doc(KeyCreate.model_json_schema()),
    summary="Register an Ed25519 public key (base64 of 32 bytes) for the caller's member",
)
async def add_key(centre: CentreDep, principal: AdminPrincipal, body: JsonBody) -> Response:
    request = parse_model(KeyCreate, body)
    signing.require_key_admin(principal.member, principal.role.value, principal.member)

    def work() -> dict[str, Any]:
        with centre.db.write() as conn:
            return signing.public(
                signing.register_key(
                    conn,
                    centre.db.dialect,
                    member=principal.member,
                    public_key=request.public_key,
                    actor=principal.username,
                )
            )

    key = await run_in_threadpool(work)
    return JSONBody(key, status_code=201, headers={"Location": f"/api/v1/signing-keys/{key['key_id']}"})


@router.post(
    "/signing-keys/{key_id}:revoke",
    response_model=KeyPublic,
    summary="Stop accepting signatures by this key (signatures it made stay verifiable)",
)
async def revoke_key(key_id: str, centre: CentreDep, principal: AdminPrincipal) -> Response:
    signing.require_key_admin(principal.member, principal.role.value, principal.member)

    def work() -> dict[str, Any]:
        with centre.db.write() as conn:
            return signing.public(
                signing.revoke_key(
                    conn, centre.db.dialect, member=principal.member, key_id=key_id, actor=principal.username
                )
            )

    return JSONBody(await run_in_threadpool(work))


@router.get(
    "/reports/{report_id}/signature",
    response_model=SignaturePublic,
    responses={404: {"description": "No such report, not released to the caller, or not signed"}},
    summary="The signature the report arrived with, and the document it signs, re-built from storage",
)
async def report_signature(report_id: str, centre: CentreDep, principal: CurrentPrincipal) -> Response:
    def work() -> dict[str, Any]:
        pull.get_report(centre, principal.member, report_id)  # 404 unless released to the caller
        with centre.db.read() as conn:
            row = signing.signature_of(conn, report_id)
            if row is None:
                raise NotFound(f"report {report_id} was not signed")
            document = signing.stored_document(conn, report_id)
        return {
            "report_id": report_id,
            "key_id": row["key_id"],
            "member": row["member_code"],
            "public_key": row["public_key"],
            "signature": row["signature"],
            "signed_at": iso(row["signed_at"]),
            "signed_document": document,
        }

    return JSONBody(await run_in_threadpool(work))
