"""Submitting, correcting and retracting reports: the write path of the exchange."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from ulid import ULID

from markaz.centre import Centre
from markaz.domain.enums import Precedence, ReportStatus, Role
from markaz.domain.models import ObservationIn, ReportCorrection, ReportCreate
from markaz.domain.normalise import normalise_for_search
from markaz.domain.releasability import resolve_releasability
from markaz.errors import Conflict, Forbidden, InvalidInput, MarkazError, NotFound
from markaz.storage import outbox
from markaz.storage import reports as store
from markaz.storage.circles import active_circles
from markaz.storage.members import member_codes
from markaz.storage.principals import Principal

WRITER_ROLES = frozenset({Role.ANALYST, Role.MEMBER_ADMIN, Role.CENTRE_ADMIN})


def require_writer(principal: Principal) -> None:
    if principal.role not in WRITER_ROLES:
        raise Forbidden(f"the role {principal.role.value} may read but not submit reports")


def _bbox(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    coords = geometry["coordinates"]
    if geometry["type"] == "Point":
        points = [coords]
    elif geometry["type"] == "LineString":
        points = coords
    else:
        points = [p for ring in coords for p in ring]
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    return min(lons), min(lats), max(lons), max(lats)


def observation_rows(report_id: str, items: Iterable[ObservationIn]) -> list[dict[str, Any]]:
    rows = []
    for ordinal, o in enumerate(items):
        geometry = o.geometry.model_dump()
        min_lon, min_lat, max_lon, max_lat = _bbox(geometry)
        rows.append(
            {
                "report_id": report_id,
                "ordinal": ordinal,
                "category": o.category.value,
                "geometry": geometry,
                "min_lon": min_lon,
                "min_lat": min_lat,
                "max_lon": max_lon,
                "max_lat": max_lat,
                "observed_at": o.observed_at,
                "subject": o.subject,
                "note": o.note,
            }
        )
    return rows


def prepare(
    report: ReportCreate,
    principal: Principal,
    *,
    known: set[str],
    active: set[str],
    now: datetime,
    circles: Mapping[str, frozenset[str]] | None = None,
    supersedes: str | None = None,
    extra_recipients: Iterable[str] = (),
) -> store.PreparedReport:
    recipients = resolve_releasability(
        report.releasable_to,
        originator=principal.member,
        active_members=active,
        known_members=known,
        circles=circles,
    ) | frozenset(extra_recipients)
    report_id = str(ULID.from_datetime(now))
    row = {
        "id": report_id,
        "originator": principal.member,
        "author_id": principal.id,
        "author": principal.username,
        "created_at": now,
        "observed_at": report.observed_at,
        "title": report.title,
        "body": report.body,
        "language": report.language,
        "precedence": report.precedence.value,
        "precedence_rank": Precedence(report.precedence).rank,
        "source_reliability": report.source_reliability.value,
        "information_credibility": report.information_credibility.value,
        "tlp": report.tlp.value,
        "releasable_to": list(report.releasable_to),
        "status": ReportStatus.ACTIVE.value,
        "supersedes": supersedes,
        "superseded_by": None,
        "retracted_at": None,
        "retraction_reason": None,
        "client_ref": report.client_ref,
    }
    return store.PreparedReport(
        row=row,
        recipients=recipients,
        observations=observation_rows(report_id, report.observations),
        search_text=normalise_for_search(report.title + "\n" + report.body),
    )


@dataclass
class ItemResult:
    index: int
    status: str  # created | existing | error
    id: str | None = None
    error: MarkazError | None = None


def validation_error(exc: ValidationError, prefix: str = "") -> InvalidInput:
    """The first problem pydantic found, as one sentence naming the field."""
    first = exc.errors(include_url=False)[0]
    loc = ".".join(
        str(p) for p in first["loc"] if not (isinstance(p, str) and p in ("Point", "LineString", "Polygon"))
    )
    field = prefix + loc if loc else (prefix.rstrip(".") or None)
    message = first["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if first["type"] == "extra_forbidden":
        message = f"unknown field {loc.rsplit('.', 1)[-1]!r}"
    return InvalidInput(f"{field}: {message}" if field else message, field=field)


Model = TypeVar("Model", bound=BaseModel)


def parse_model(model: type[Model], body: Any) -> Model:
    """The body read as `model`; what pydantic refuses becomes InvalidInput (validation_error)."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise validation_error(exc) from None


def submit(centre: Centre, principal: Principal, items: Sequence[Any]) -> list[ItemResult]:
    """Validate each item, then store all valid ones in one transaction; bad items are reported."""
    require_writer(principal)
    results: list[ItemResult] = []
    valid: list[tuple[int, ReportCreate]] = []
    for index, raw in enumerate(items):
        try:
            report = raw if isinstance(raw, ReportCreate) else ReportCreate.model_validate(raw)
        except ValidationError as exc:
            results.append(ItemResult(index, "error", error=validation_error(exc)))
            continue
        valid.append((index, report))
    if any(report.signature is not None for _, report in valid):
        valid = _check_signatures(centre, principal, valid, results)
    for _attempt in range(3):
        try:
            written = _write(centre, principal, valid)
            break
        except IntegrityError:
            # A concurrent writer stored the same client_ref first (PostgreSQL): the retry
            # finds it and answers with the original.
            continue
    else:
        raise Conflict("the reports could not be stored because of concurrent submissions; retry")
    results.extend(written)
    results.sort(key=lambda r: r.index)
    return results


def _check_signatures(
    centre: Centre, principal: Principal, valid: list[tuple[int, ReportCreate]], results: list[ItemResult]
) -> list[tuple[int, ReportCreate]]:
    """Signed items whose signature does not verify become errors; nothing of them is stored."""
    from markaz.security.signing import active_keys, check_submission

    with centre.db.read() as conn:
        keys = active_keys(conn, principal.member)
    kept = []
    for index, report in valid:
        try:
            check_submission(principal.member, report, keys)
        except MarkazError as exc:
            results.append(ItemResult(index, "error", error=exc))
            continue
        kept.append((index, report))
    return kept


def _keep_signatures(
    conn: Any, centre: Centre, principal: Principal, signed: list[tuple[str, ReportCreate]]
) -> None:
    from markaz.security.signing import store_signatures

    rows = [(rid, r.signature.key_id, r.signature.sig) for rid, r in signed if r.signature is not None]
    store_signatures(conn, centre.db.dialect, rows, principal.username)


ReleaseContext = tuple[set[str], set[str], dict[str, frozenset[str]]]


def release_context(conn: Any) -> ReleaseContext:
    """What releasability resolves against: known members, active members, active circles."""
    known, active = member_codes(conn)
    return known, active, active_circles(conn)


def _prepare_all(
    valid: Sequence[tuple[int, ReportCreate]], principal: Principal, context: ReleaseContext
) -> tuple[list[ItemResult], list[int], list[store.PreparedReport]]:
    known, active, circles = context
    now = datetime.now(UTC)
    results: list[ItemResult] = []
    indexes: list[int] = []
    prepared: list[store.PreparedReport] = []
    for index, report in valid:
        try:
            prepared.append(prepare(report, principal, known=known, active=active, now=now, circles=circles))
            indexes.append(index)
        except MarkazError as exc:
            results.append(ItemResult(index, "error", error=exc))
    return results, indexes, prepared


def _write(
    centre: Centre, principal: Principal, valid: Sequence[tuple[int, ReportCreate]]
) -> list[ItemResult]:
    results: list[ItemResult] = []
    if not valid:
        return results
    db = centre.db
    # Validation work happens outside the write transaction; inside it, the member sets are
    # read again and, in the rare case they changed meanwhile, releasability is resolved anew,
    # so `ALL` still means the members active when the report is accepted.
    with db.read() as conn:
        members = release_context(conn)
    results, indexes, prepared = _prepare_all(valid, principal, members)
    with db.write() as conn:
        current = release_context(conn)
        if current != members:
            results, indexes, prepared = _prepare_all(valid, principal, current)
        outcome = store.insert_reports(conn, db.dialect, prepared, actor=principal.username)
        if any(report.signature is not None for _, report in valid):
            by_index = dict(valid)
            signed = [
                (p.row["id"], by_index[i])
                for position, (i, p) in enumerate(zip(indexes, prepared, strict=True))
                if position not in outcome.existing
            ]
            _keep_signatures(conn, centre, principal, signed)
    for position, (index, p) in enumerate(zip(indexes, prepared, strict=True)):
        if position in outcome.existing:
            results.append(ItemResult(index, "existing", id=outcome.existing[position]))
        else:
            results.append(ItemResult(index, "created", id=p.row["id"]))
    return results


def _own_report(centre: Centre, conn: Any, principal: Principal, report_id: str) -> dict[str, Any]:
    row = store.get_report_row(conn, principal.member, report_id)
    if row is None:
        raise NotFound(f"there is no report {report_id}")
    if row["originator"] != principal.member:
        raise Forbidden("only the originating member may retract or correct a report")
    if row["status"] == ReportStatus.RETRACTED.value:
        raise Conflict(f"report {report_id} is already retracted")
    if row["status"] == ReportStatus.SUPERSEDED.value:
        raise Conflict(
            f"report {report_id} was superseded by {row['superseded_by']}; correct or retract that one"
        )
    return row


def retract(centre: Centre, principal: Principal, report_id: str, reason: str) -> str:
    require_writer(principal)
    db = centre.db
    with db.write() as conn:
        original = _own_report(centre, conn, principal, report_id)
        store.set_status(
            conn,
            report_id,
            status=ReportStatus.RETRACTED.value,
            retracted_at=datetime.now(UTC),
            retraction_reason=reason,
        )
        store.audit_report_state(
            conn, db.dialect, report_id, action="report.retract", actor=principal.username
        )
        # Every member that received the report is told it is withdrawn.
        outbox.enqueue(
            conn, db.dialect, event="retraction", report_id=report_id, precedence=original["precedence"]
        )
    return report_id


def correct(centre: Centre, principal: Principal, report_id: str, correction: ReportCorrection) -> str:
    """Store a corrected version; its recipients include everyone who could see the original."""
    require_writer(principal)
    db = centre.db
    with db.write() as conn:
        _own_report(centre, conn, principal, report_id)
        known, active, circles = release_context(conn)
        prepared = prepare(
            correction,
            principal,
            known=known,
            active=active,
            circles=circles,
            now=datetime.now(UTC),
            supersedes=report_id,
            extra_recipients=store.recipients_of(conn, report_id),
        )
        prepared.row["client_ref"] = correction.client_ref
        if correction.signature is not None:
            from markaz.security.signing import active_keys, check_submission

            check_submission(principal.member, correction, active_keys(conn, principal.member))
        outcome = store.insert_reports(
            conn, db.dialect, [prepared], actor=principal.username, action="report.correct"
        )
        if outcome.existing:
            raise Conflict(
                "client_ref of the correction was already used for another report", field="client_ref"
            )
        if correction.signature is not None:
            _keep_signatures(conn, centre, principal, [(prepared.row["id"], correction)])
        store.set_status(
            conn, report_id, status=ReportStatus.SUPERSEDED.value, superseded_by=prepared.row["id"]
        )
        store.audit_report_state(
            conn, db.dialect, report_id, action="report.supersede", actor=principal.username
        )
    return str(prepared.row["id"])
