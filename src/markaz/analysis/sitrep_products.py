"""Centre products: the chair publishes a situation report that every recipient may read in full."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from markaz.analysis import sitrep
from markaz.analysis.sitrep_render import to_markdown
from markaz.centre import Centre
from markaz.domain.enums import Precedence, Role, Tlp
from markaz.domain.models import ReportCreate
from markaz.domain.releasability import resolve_releasability
from markaz.errors import Conflict, Forbidden, InvalidInput, MalformedBody, NotFound
from markaz.storage import products as store
from markaz.storage.canonical import iso
from markaz.storage.outbox import enqueue
from markaz.storage.principals import Principal

PUBLISHER_ROLES = frozenset({Role.MEMBER_ADMIN, Role.CENTRE_ADMIN})
MAX_BODY = 100_000


class ProductCreate(BaseModel):
    """What the chair asks for: the period, area and language, and to whom the product goes."""

    model_config = ConfigDict(extra="forbid")

    since: datetime | None = None
    until: datetime | None = None
    bbox: str | None = None
    lang: str = "en"
    releasable_to: Annotated[list[str], Field(min_length=1, max_length=100)] = ["ALL"]
    precedence: Precedence = Precedence.ROUTINE
    tlp: Tlp = Tlp.AMBER


def parse_product(body: Any) -> ProductCreate:
    if not isinstance(body, dict):
        raise MalformedBody('send a JSON object: {"since", "until", "bbox", "lang", "releasable_to"}')
    from markaz.collection.intake import parse_model

    return parse_model(ProductCreate, body)


def _audience(conn: Any, request: ProductCreate, chair_member: str) -> frozenset[str]:
    from markaz.collection.intake import release_context

    known, active, circles = release_context(conn)
    return resolve_releasability(
        request.releasable_to,
        originator=chair_member,
        active_members=active,
        known_members=known,
        circles=circles,
    )


def publish(
    centre: Centre, principal: Principal, body: Any, *, now: datetime | None = None
) -> dict[str, Any]:
    """Publish a centre situation report as the chair's member.

    Its content comes only from reports released to EVERY recipient (the chair's member is one
    of them), so no recipient learns from it what was not released to it; the chair sees nothing
    it could not see anyway. The product is a report row released to the recipients (every read
    path treats it like one) and is disseminated as a `product` event."""
    from markaz.collection import intake
    from markaz.governance import chair

    intake.require_writer(principal)
    if principal.role not in PUBLISHER_ROLES:
        raise Forbidden(
            "only a member_admin or centre_admin of the chair's member may publish a centre product"
        )
    request = parse_product(body)
    req = sitrep.parse_request(
        since=request.since, until=request.until, bbox=request.bbox, lang=request.lang, fmt="json", now=now
    )
    term = chair.current(centre)
    if term.member != principal.member:
        raise Forbidden(
            f"only the member that chairs the centre today ({term.member}) may publish a centre product"
        )
    db = centre.db
    with db.read() as conn:
        audience = _audience(conn, request, principal.member)
    content = sitrep.build(centre, audience, req, kind="centre", now=now)
    content["published_by"] = principal.member
    body_md = to_markdown(content, with_map=False)
    if len(body_md) > MAX_BODY:
        raise InvalidInput(
            f"the product would be {len(body_md)} characters, more than a report may hold ({MAX_BODY}); "
            "choose a shorter period or a smaller area",
            field="since",
        )
    created = datetime.now(UTC)
    report = ReportCreate.model_validate(
        {
            "title": f"{content_title(content)} {req.since:%Y-%m-%d %H:%M} – {req.until:%Y-%m-%d %H:%M} UTC",
            "body": body_md,
            "language": req.lang,
            "precedence": request.precedence.value,
            "tlp": request.tlp.value,
            "releasable_to": request.releasable_to,
        }
    )
    with db.write() as conn:
        from markaz.collection.intake import release_context

        known, active, circles = release_context(conn)
        if _audience(conn, request, principal.member) != audience:
            raise Conflict("the members or circles changed while the product was prepared; publish again")
        prepared = intake.prepare(report, principal, known=known, active=active, circles=circles, now=created)
        product = {
            "report_id": prepared.row["id"],
            "published_by": principal.member,
            "author": principal.username,
            "published_at": created,
            "since": req.since,
            "until": req.until,
            "bbox": list(req.bbox) if req.bbox else None,
            "language": req.lang,
            "audience": sorted(audience),
            "content": content,
        }
        store.insert_product(conn, db.dialect, prepared, product, actor=principal.username)
        recipients = sorted(audience - {principal.member})
        if recipients:
            enqueue(
                conn,
                db.dialect,
                event="product",
                report_id=prepared.row["id"],
                precedence=request.precedence.value,
                recipients=recipients,
                payload={
                    "id": prepared.row["id"],
                    "kind": "centre_situation_report",
                    "title": prepared.row["title"],
                    "published_by": principal.member,
                    "since": iso(req.since),
                    "until": iso(req.until),
                    "language": req.lang,
                    "href": f"/api/v1/products/{prepared.row['id']}",
                },
                now=created,
            )
    return public_product(product, prepared.row["title"], request.precedence.value)


def content_title(content: dict[str, Any]) -> str:
    from markaz.analysis.sitrep_i18n import t

    return t(content["language"], "centre_title")


def public_product(row: dict[str, Any], title: str, precedence: str) -> dict[str, Any]:
    return {
        "id": row["report_id"],
        "title": title,
        "precedence": precedence,
        "published_by": row["published_by"],
        "published_at": iso(row["published_at"]),
        "since": iso(row["since"]),
        "until": iso(row["until"]),
        "bbox": row["bbox"],
        "language": row["language"],
        "recipients": sorted(row["audience"]),
    }


def get_product(centre: Centre, viewer: str, product_id: str, fmt: str) -> tuple[str, bytes]:
    """A published product the viewer's member received, rendered: (media type, content)."""
    if fmt not in sitrep.FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(sitrep.FORMATS)}", field="format")
    with centre.db.read() as conn:
        row = store.get_product(conn, viewer, product_id)
    if row is None:
        raise NotFound(f"there is no product {product_id}")
    return sitrep.MEDIA_TYPES[fmt], sitrep.render(row["content"], fmt)


def list_products(centre: Centre, viewer: str, *, limit: int, before: str | None = None) -> dict[str, Any]:
    with centre.db.read() as conn:
        rows = store.list_products(conn, viewer, limit=limit + 1, before_id=before)
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [public_product(r, r["title"], r["precedence"]) for r in rows],
        "next_cursor": rows[-1]["report_id"] if more and rows else None,
    }
