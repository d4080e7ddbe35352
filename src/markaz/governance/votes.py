"""Votes of the members on accessions, suspensions and reinstatements, decided by the centre's rule."""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import Connection, select, update
from ulid import ULID

from markaz.centre import Centre
from markaz.domain.enums import MemberStatus, Role
from markaz.domain.models import MEMBER_CODE_PATTERN
from markaz.domain.text import check_free_text, check_label
from markaz.errors import Conflict, Forbidden, InvalidInput, NotFound
from markaz.governance import chair
from markaz.storage import audit
from markaz.storage.dialects import StorageDialect
from markaz.storage.members import add_member, list_members, set_member_status
from markaz.storage.motions import load_motion, motion_snapshot
from markaz.storage.principals import Principal, add_principal, create_token
from markaz.storage.schema import motion_votes, motions

QUORUM = (2, 3)  # two thirds of the active members must vote
VOTER_ROLES = frozenset({Role.MEMBER_ADMIN, Role.CENTRE_ADMIN})
Label = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(lambda v: check_label(v, "name"))]


class AccessionRequest(BaseModel):
    """A candidate organisation's application, entered by the chair, which opens the vote."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    code: Annotated[str, Field(pattern=MEMBER_CODE_PATTERN)]
    names: dict[Literal["en", "ar", "fa", "ru"], Label] = Field(min_length=1)
    contact: Annotated[
        str, Field(min_length=1, max_length=300), AfterValidator(lambda v: check_label(v, "contact"))
    ]
    reason: Annotated[
        str, Field(min_length=1, max_length=2000), AfterValidator(lambda v: check_free_text(v, "reason"))
    ]
    deadline: AwareDatetime


class MotionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    deadline: AwareDatetime


class VoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    choice: Literal["approve", "reject", "abstain"]


RULES = {
    "unanimity": "unanimity of the active members that voted (no rejection, at least one approval)",
    "majority": "a majority of the approvals and rejections cast",
}


@dataclass(frozen=True)
class Decision:
    """The tally of a vote under its rule: unanimity (the default) or majority, with a quorum."""

    approve: int
    reject: int
    abstain: int
    electorate: int
    quorum: int
    rule: str = "unanimity"

    @property
    def quorate(self) -> bool:
        return self.approve + self.reject + self.abstain >= self.quorum

    @property
    def passes(self) -> bool:
        if self.rule == "majority":
            return self.quorate and self.approve > self.reject
        return self.quorate and self.reject == 0 and self.approve > 0


def decide(
    votes: Mapping[str, str], electorate: set[str], quorum: tuple[int, int] = QUORUM, rule: str = "unanimity"
) -> Decision:
    counted = [choice for member, choice in votes.items() if member in electorate]
    return Decision(
        approve=counted.count("approve"),
        reject=counted.count("reject"),
        abstain=counted.count("abstain"),
        electorate=len(electorate),
        quorum=math.ceil(quorum[0] * len(electorate) / quorum[1]),
        rule=rule,
    )


def _electorate(conn: Connection, motion: Mapping[str, Any]) -> set[str]:
    # A member does not vote on its own suspension or reinstatement.
    return {
        m["code"]
        for m in list_members(conn)
        if m["status"] == MemberStatus.ACTIVE.value and m["code"] != motion["subject"]
    }


def _audit(
    conn: Connection, dialect: StorageDialect, motion_id: str, action: str, actor: str
) -> dict[str, Any]:
    m = load_motion(conn, motion_id)
    audit.append(conn, dialect, actor, [audit.AuditEvent.of(action, "motion", motion_id, motion_snapshot(m))])
    return m


def public(conn: Connection, m: Mapping[str, Any]) -> dict[str, Any]:
    d = decide(
        {k: c for k, (c, _t) in m["votes"].items()},
        _electorate(conn, m),
        (m["quorum_num"], m["quorum_den"]),
        m["rule"],
    )
    return {
        **motion_snapshot(m),
        "rule": f"{RULES[m['rule']]}, with a quorum of {m['quorum_num']}/{m['quorum_den']} "
        "of the active members",
        "tally": {
            "approve": d.approve,
            "reject": d.reject,
            "abstain": d.abstain,
            "electorate": d.electorate,
            "quorum": d.quorum,
        },
    }


def _close(centre: Centre, conn: Connection, m: dict[str, Any], now: datetime, actor: str) -> None:
    d = decide(
        {k: c for k, (c, _t) in m["votes"].items()},
        _electorate(conn, m),
        (m["quorum_num"], m["quorum_den"]),
        m["rule"],
    )
    status = "approved" if d.passes else "rejected"
    outcome = {
        "approve": d.approve,
        "reject": d.reject,
        "abstain": d.abstain,
        "quorum": d.quorum,
        "electorate": d.electorate,
        "quorate": d.quorate,
    }
    conn.execute(
        update(motions).where(motions.c.id == m["id"]).values(status=status, decided_at=now, outcome=outcome)
    )
    _audit(conn, centre.db.dialect, m["id"], f"motion.{status}", actor)
    if status != "approved":
        return
    dialect = centre.db.dialect
    if m["kind"] == "accession":
        # Admitted now: from now on it receives what is released to ALL, never what was before.
        add_member(conn, dialect, code=m["subject"], names=m["candidate"]["names"], actor=actor, now=now)
    elif m["kind"] == "suspend":
        set_member_status(conn, dialect, m["subject"], MemberStatus.SUSPENDED, actor=actor)
        chair.close_term_of(conn, dialect, m["subject"], now.date(), actor)
    elif m["kind"] == "reinstate":
        set_member_status(conn, dialect, m["subject"], MemberStatus.ACTIVE, actor=actor)


def settle(centre: Centre, conn: Connection, now: datetime) -> None:
    """Close every open vote whose deadline has passed."""
    due = (
        conn.execute(select(motions.c.id).where(motions.c.status == "open", motions.c.deadline <= now))
        .scalars()
        .all()
    )
    for motion_id in due:
        _close(centre, conn, load_motion(conn, motion_id), now, "clock")


def _require_chair(centre: Centre, principal: Principal) -> None:
    if principal.role not in chair.CHAIR_ROLES:
        raise Forbidden("only a member_admin or centre_admin of the chair may open a vote")
    if chair.current(centre).member != principal.member:
        raise Forbidden(f"member {principal.member} does not hold the chair; only the chair opens votes")


def _open(
    centre: Centre,
    principal: Principal,
    kind: str,
    subject: str,
    deadline: datetime,
    candidate: dict[str, Any] | None,
) -> dict[str, Any]:
    _require_chair(centre, principal)
    now = datetime.now(UTC)
    if deadline <= now + timedelta(minutes=1):
        raise InvalidInput("the deadline must be in the future", field="deadline")
    if deadline > now + timedelta(days=366):
        raise InvalidInput("the deadline may be at most a year away", field="deadline")
    num, den = centre.settings.vote_quorum.split("/")
    quorum = (int(num), int(den))
    db = centre.db
    with db.write() as conn:
        settle(centre, conn, now)
        codes = {m["code"]: m["status"] for m in list_members(conn)}
        if kind == "accession" and subject in codes:
            raise Conflict(f"{subject} is already a member", field="code")
        if kind != "accession" and subject not in codes:
            raise NotFound(f"there is no member {subject}")
        if kind == "suspend" and codes[subject] != MemberStatus.ACTIVE.value:
            raise Conflict(f"member {subject} is not active")
        if kind == "reinstate" and codes[subject] != MemberStatus.SUSPENDED.value:
            raise Conflict(f"member {subject} is not suspended")
        if conn.execute(
            select(motions.c.id).where(motions.c.subject == subject, motions.c.status == "open")
        ).first():
            raise Conflict(f"a vote about {subject} is already open")
        motion_id = str(ULID())
        conn.execute(
            motions.insert().values(
                id=motion_id,
                kind=kind,
                subject=subject,
                candidate=candidate,
                status="open",
                opened_by=principal.member,
                opened_at=now,
                deadline=deadline,
                quorum_num=quorum[0],
                quorum_den=quorum[1],
                rule=centre.settings.vote_rule,
                decided_at=None,
                outcome=None,
                credentials_issued=False,
            )
        )
        m = _audit(conn, db.dialect, motion_id, f"motion.open.{kind}", principal.username)
        return public(conn, m)


def open_accession(centre: Centre, principal: Principal, request: AccessionRequest) -> dict[str, Any]:
    candidate = {"names": dict(request.names), "contact": request.contact, "reason": request.reason}
    return _open(centre, principal, "accession", request.code, request.deadline, candidate)


def open_member_vote(
    centre: Centre, principal: Principal, kind: str, code: str, deadline: datetime
) -> dict[str, Any]:
    if not re.fullmatch(MEMBER_CODE_PATTERN, code):
        raise InvalidInput(f"{code!r} is not a member code", field="code")
    return _open(centre, principal, kind, code, deadline, None)


def vote(centre: Centre, principal: Principal, motion_id: str, choice: str) -> dict[str, Any]:
    """Cast or change the member's vote; the vote closes once every eligible member has voted."""
    if principal.role not in VOTER_ROLES:
        raise Forbidden("a member votes through its member_admin")
    now = datetime.now(UTC)
    db = centre.db
    with db.write() as conn:
        settle(centre, conn, now)
        m = load_motion(conn, motion_id)
        if m["status"] != "open":
            raise Conflict(f"the vote {motion_id} is closed ({m['status']})")
        if principal.member not in _electorate(conn, m):
            raise Forbidden(f"member {principal.member} does not vote on this motion")
        if principal.member in m["votes"]:
            conn.execute(
                update(motion_votes)
                .where(motion_votes.c.motion_id == motion_id, motion_votes.c.member_code == principal.member)
                .values(choice=choice, cast_at=now)
            )
        else:
            conn.execute(
                motion_votes.insert().values(
                    motion_id=motion_id, member_code=principal.member, choice=choice, cast_at=now
                )
            )
        m = _audit(conn, db.dialect, motion_id, "motion.vote", principal.username)
        if _electorate(conn, m) <= set(m["votes"]):
            _close(centre, conn, m, now, principal.username)
            m = load_motion(conn, motion_id)
        return public(conn, m)


def close(centre: Centre, principal: Principal, motion_id: str) -> dict[str, Any]:
    """The chair closes a vote before its deadline; it is decided on the votes cast so far."""
    _require_chair(centre, principal)
    now = datetime.now(UTC)
    with centre.db.write() as conn:
        settle(centre, conn, now)
        m = load_motion(conn, motion_id)
        if m["status"] != "open":
            raise Conflict(f"the vote {motion_id} is closed ({m['status']})")
        _close(centre, conn, m, now, principal.username)
        return public(conn, load_motion(conn, motion_id))


def get(centre: Centre, motion_id: str) -> dict[str, Any]:
    with centre.db.write() as conn:
        settle(centre, conn, datetime.now(UTC))
        return public(conn, load_motion(conn, motion_id))


def list_motions(centre: Centre, kind: str | None = None) -> list[dict[str, Any]]:
    with centre.db.write() as conn:
        settle(centre, conn, datetime.now(UTC))
        query = select(motions.c.id).order_by(motions.c.id.desc())
        if kind:
            query = query.where(motions.c.kind == kind)
        return [public(conn, load_motion(conn, i)) for i in conn.execute(query).scalars().all()]


def issue_credentials(centre: Centre, principal: Principal, motion_id: str) -> dict[str, str]:
    """Once, to the chair: the admitted member's member_admin login and API token."""
    _require_chair(centre, principal)
    db = centre.db
    with db.write() as conn:
        settle(centre, conn, datetime.now(UTC))
        m = load_motion(conn, motion_id)
        if m["kind"] != "accession" or m["status"] != "approved":
            raise Conflict("credentials exist only for an approved accession")
        if m["credentials_issued"]:
            raise Conflict(
                "the credentials of this member were already issued; create new ones with markaz token create"
            )
        username = f"{m['subject'].lower()}.admin"
        password = secrets.token_urlsafe(18)
        row = add_principal(
            conn,
            db.dialect,
            username=username,
            member=m["subject"],
            role=Role.MEMBER_ADMIN,
            password=password,
            actor=principal.username,
        )
        token, _ = create_token(
            conn, db.dialect, principal_id=row["id"], expires_in=timedelta(days=90), actor=principal.username
        )
        conn.execute(update(motions).where(motions.c.id == motion_id).values(credentials_issued=True))
        _audit(conn, db.dialect, motion_id, "motion.credentials", principal.username)
    return {"member": m["subject"], "username": username, "password": password, "token": token}
