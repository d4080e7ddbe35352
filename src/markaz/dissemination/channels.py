"""A member's webhook endpoints and subscriptions: validated, stored, audited; secrets never shown again."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, delete, select, update

from markaz.centre import Centre
from markaz.dissemination import areas
from markaz.domain.enums import Role
from markaz.errors import Forbidden, InvalidInput, NotFound
from markaz.storage import audit
from markaz.storage.canonical import iso
from markaz.storage.dialects import StorageDialect
from markaz.storage.dissemination import endpoint_snapshot, member_row, subscription_snapshot
from markaz.storage.members import get_member
from markaz.storage.principals import Principal
from markaz.storage.schema_dissemination import endpoints, subscriptions

ADMIN_ROLES = frozenset({Role.MEMBER_ADMIN, Role.CENTRE_ADMIN})
MAX_ENDPOINTS = 10
MAX_SUBSCRIPTIONS = 50


def require_admin(principal: Principal, what: str) -> None:
    if principal.role not in ADMIN_ROLES:
        raise Forbidden(f"only a member_admin or centre_admin of the member may {what}")


def check_url(url: Any) -> str:
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("url: give the endpoint's http:// or https:// address", field="url")
    url = url.strip()
    if len(url) > 500:
        raise InvalidInput("url: at most 500 characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidInput(f"url: {url!r} is not a valid address", field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"url: {url!r} is not an http:// or https:// address with a host", field="url")
    if parts.username or parts.password:
        raise InvalidInput(
            "url: do not put credentials in the address; the secret signs requests", field="url"
        )
    if parts.fragment:
        raise InvalidInput("url: an endpoint address has no #fragment", field="url")
    del port
    return str(url)


def check_secret(secret: Any) -> str:
    if (
        not isinstance(secret, str)
        or not 16 <= len(secret) <= 200
        or not secret.isprintable()
        or " " in secret
    ):
        raise InvalidInput("secret: 16 to 200 printable characters without spaces", field="secret")
    return str(secret)


def endpoint_public(row: Any) -> dict[str, Any]:
    """An endpoint as the API shows it: never its secret."""
    return {
        "id": row["id"],
        "member": row["member_code"],
        "url": row["url"],
        "status": row["status"],
        "created_at": iso(row["created_at"]),
        "created_by": row["created_by"],
    }


def add_endpoint(
    conn: Connection, dialect: StorageDialect, *, member: str, url: Any, secret: Any, actor: str
) -> dict[str, Any]:
    """Register a webhook endpoint for `member` (inside the caller's transaction)."""
    url = check_url(url)
    secret = check_secret(secret)
    get_member(conn, member)
    count = len(
        conn.execute(
            select(endpoints.c.id).where(endpoints.c.member_code == member, endpoints.c.status == "active")
        ).all()
    )
    if count >= MAX_ENDPOINTS:
        raise InvalidInput(f"a member may have at most {MAX_ENDPOINTS} active endpoints; remove one first")
    row: dict[str, Any] = {
        "member_code": member,
        "url": url,
        "secret": secret,
        "status": "active",
        "created_at": datetime.now(UTC),
        "created_by": actor,
    }
    row["id"] = conn.execute(endpoints.insert().values(**row).returning(endpoints.c.id)).scalar_one()
    audit.append(
        conn,
        dialect,
        actor,
        [audit.AuditEvent.of("endpoint.add", "endpoint", str(row["id"]), endpoint_snapshot(row))],
    )
    return row


def create_endpoint(centre: Centre, principal: Principal, body: Any) -> dict[str, Any]:
    """API: register an endpoint; the secret (given, or generated) is shown in this answer only."""
    require_admin(principal, "register endpoints")
    if not isinstance(body, dict):
        raise InvalidInput('send {"url": "...", "secret": "..."} (secret optional: one is generated)')
    unknown = set(body) - {"url", "secret"}
    if unknown:
        raise InvalidInput(f"unknown field {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    secret = body.get("secret") or secrets.token_urlsafe(32)
    with centre.db.write() as conn:
        row = add_endpoint(
            conn,
            centre.db.dialect,
            member=principal.member,
            url=body.get("url"),
            secret=secret,
            actor=principal.username,
        )
    return {**endpoint_public(row), "secret": secret}


def list_endpoints(centre: Centre, principal: Principal) -> list[dict[str, Any]]:
    with centre.db.read() as conn:
        rows = conn.execute(
            select(endpoints).where(endpoints.c.member_code == principal.member).order_by(endpoints.c.id)
        ).mappings()
        return [endpoint_public(r) for r in rows]


def remove_endpoint(centre: Centre, principal: Principal, endpoint_id: int) -> dict[str, Any]:
    """Stop pushing to an endpoint; its past attempts stay on record."""
    require_admin(principal, "remove endpoints")
    with centre.db.write() as conn:
        row = member_row(conn, endpoints, endpoint_id, principal.member)
        if row is None or row["status"] != "active":
            raise NotFound(f"there is no endpoint {endpoint_id}")
        conn.execute(update(endpoints).where(endpoints.c.id == endpoint_id).values(status="removed"))
        new = {**row, "status": "removed"}
        audit.append(
            conn,
            centre.db.dialect,
            principal.username,
            [audit.AuditEvent.of("endpoint.remove", "endpoint", str(endpoint_id), endpoint_snapshot(new))],
        )
    return endpoint_public(new)


# --- subscriptions --------------------------------------------------------------------------


def subscription_public(row: Any) -> dict[str, Any]:
    return subscription_snapshot(dict(row))


def create_subscription(centre: Centre, principal: Principal, body: Any) -> dict[str, Any]:
    """A member's interest in PRIORITY and ROUTINE traffic: area (bbox or polygon), categories, precedence."""
    require_admin(principal, "manage subscriptions")
    if not isinstance(body, dict):
        raise InvalidInput(
            "send a JSON object with name and any of bbox, polygon, categories, min_precedence"
        )
    unknown = set(body) - {"name", "bbox", "polygon", "categories", "min_precedence"}
    if unknown:
        raise InvalidInput(f"unknown field {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
        raise InvalidInput("name: 1 to 100 characters", field="name")
    if body.get("bbox") is not None and body.get("polygon") is not None:
        raise InvalidInput("give an area as bbox or as polygon, not both", field="polygon")
    bbox = areas.check_bbox(body["bbox"]) if body.get("bbox") is not None else None
    polygon = areas.check_polygon(body["polygon"]) if body.get("polygon") is not None else None
    row: dict[str, Any] = {
        "member_code": principal.member,
        "name": name.strip(),
        "min_lon": bbox[0] if bbox else None,
        "min_lat": bbox[1] if bbox else None,
        "max_lon": bbox[2] if bbox else None,
        "max_lat": bbox[3] if bbox else None,
        "polygon": polygon,
        "categories": areas.check_categories(body.get("categories")),
        "min_precedence": areas.check_precedence(body.get("min_precedence")),
        "created_at": datetime.now(UTC),
        "created_by": principal.username,
    }
    with centre.db.write() as conn:
        count = len(
            conn.execute(
                select(subscriptions.c.id).where(subscriptions.c.member_code == principal.member)
            ).all()
        )
        if count >= MAX_SUBSCRIPTIONS:
            raise InvalidInput(f"a member may have at most {MAX_SUBSCRIPTIONS} subscriptions")
        row["id"] = conn.execute(
            subscriptions.insert().values(**row).returning(subscriptions.c.id)
        ).scalar_one()
        audit.append(
            conn,
            centre.db.dialect,
            principal.username,
            [
                audit.AuditEvent.of(
                    "subscription.add", "subscription", str(row["id"]), subscription_snapshot(row)
                )
            ],
        )
    return subscription_public(row)


def list_subscriptions(centre: Centre, principal: Principal) -> list[dict[str, Any]]:
    with centre.db.read() as conn:
        rows = conn.execute(
            select(subscriptions)
            .where(subscriptions.c.member_code == principal.member)
            .order_by(subscriptions.c.id)
        ).mappings()
        return [subscription_public(r) for r in rows]


def remove_subscription(centre: Centre, principal: Principal, subscription_id: int) -> None:
    require_admin(principal, "manage subscriptions")
    with centre.db.write() as conn:
        row = member_row(conn, subscriptions, subscription_id, principal.member)
        if row is None:
            raise NotFound(f"there is no subscription {subscription_id}")
        conn.execute(delete(subscriptions).where(subscriptions.c.id == subscription_id))
        audit.append(
            conn,
            centre.db.dialect,
            principal.username,
            [
                audit.AuditEvent.of(
                    "subscription.removed",
                    "subscription",
                    str(subscription_id),
                    subscription_snapshot(dict(row)),
                )
            ],
        )
