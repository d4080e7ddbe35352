"""Analysts' split and merge decisions: checked against what the analyst sees, stored, audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import Connection, insert

from markaz.analysis.families import SITE, TRACK
from markaz.analysis.fused import get_item
from markaz.centre import Centre
from markaz.domain.text import check_free_text
from markaz.errors import InvalidInput, MalformedBody
from markaz.storage import audit
from markaz.storage.fusion import decision_snapshot, load_decision_row
from markaz.storage.principals import Principal
from markaz.storage.schema_fusion import fusion_decision_observations, fusion_decisions

Reason = Annotated[
    str, Field(min_length=1, max_length=2000), AfterValidator(lambda v: check_free_text(v, "reason"))
]


class SplitRequest(BaseModel):
    """Split the listed observations off into an item of their own; the rest stay together."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    observations: list[int] = Field(min_length=1, max_length=10_000)
    reason: Reason


class MergeRequest(BaseModel):
    """Join the listed items (at least two, of the same family) into one."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    items: list[str] = Field(min_length=2, max_length=100)
    reason: Reason


def parse(model: type[SplitRequest] | type[MergeRequest], body: Any) -> Any:
    if not isinstance(body, dict):
        raise MalformedBody("send a JSON object")
    from markaz.collection.intake import parse_model

    return parse_model(model, body)


def _kind(item_id: str) -> str:
    return TRACK if item_id[:1] == "T" else SITE


def _record(
    conn: Connection,
    centre: Centre,
    principal: Principal,
    kind: str,
    family: str,
    groups: Sequence[Sequence[int]],
    reason: str,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    decision_id = conn.execute(
        insert(fusion_decisions)
        .values(
            kind=kind,
            family=family,
            member=principal.member,
            decided_by=principal.username,
            decided_at=now,
            reason=reason,
        )
        .returning(fusion_decisions.c.id)
    ).scalar_one()
    conn.execute(
        insert(fusion_decision_observations),
        [
            {"decision_id": decision_id, "obs_id": obs, "grp": g}
            for g, group in enumerate(groups)
            for obs in sorted(group)
        ],
    )
    snapshot = decision_snapshot(load_decision_row(conn, decision_id))
    audit.append(
        conn,
        centre.db.dialect,
        principal.username,
        [audit.AuditEvent.of(f"fusion.{kind}", "fusion_decision", str(decision_id), snapshot)],
    )
    return snapshot


def split(centre: Centre, principal: Principal, item_id: str, request: SplitRequest) -> dict[str, Any]:
    """Split observations off a site or track, as the principal's member sees it."""
    from markaz.collection.intake import require_writer

    require_writer(principal)
    kind = _kind(item_id)
    with centre.db.write() as conn:
        item = get_item(conn, centre, principal.member, kind, item_id)
        members = [c["observation_id"] for c in item["contributions"]]
        off = sorted(set(request.observations))
        strangers = [o for o in off if o not in members]
        if strangers:
            raise InvalidInput(
                f"observation {strangers[0]} is not a contribution of {item['id']}", field="observations"
            )
        rest = [o for o in members if o not in set(off)]
        if not rest:
            raise InvalidInput(
                "list the observations to split off, not all of them: the rest stay together",
                field="observations",
            )
        decision = _record(conn, centre, principal, "split", item["family"], [rest, off], request.reason)
        items = [
            get_item(conn, centre, principal.member, kind, f"{item_id[0]}{group[0]}") for group in (rest, off)
        ]
    return {"decision": decision, "items": items}


def merge(centre: Centre, principal: Principal, request: MergeRequest) -> dict[str, Any]:
    """Join items the principal's member sees into one; they must be of one family."""
    from markaz.collection.intake import require_writer

    require_writer(principal)
    kinds = {_kind(i) for i in request.items}
    if len(kinds) != 1:
        raise InvalidInput("sites and tracks cannot be merged with each other", field="items")
    kind = kinds.pop()
    with centre.db.write() as conn:
        found = [get_item(conn, centre, principal.member, kind, i) for i in request.items]
        families = sorted({i["family"] for i in found})
        if len(families) > 1:
            raise InvalidInput(
                f"these items are of different families ({', '.join(families)}); "
                "only items of one family can be merged",
                field="items",
            )
        distinct = {i["id"]: i for i in found}
        if len(distinct) < 2:
            raise InvalidInput("these ids name the same item: there is nothing to merge", field="items")
        groups = [[c["observation_id"] for c in i["contributions"]] for _, i in sorted(distinct.items())]
        decision = _record(conn, centre, principal, "merge", families[0], groups, request.reason)
        merged = get_item(conn, centre, principal.member, kind, request.items[0])
    return {"decision": decision, "items": [merged]}
