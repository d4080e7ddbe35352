"""Exchange of views: threaded comments and STIX 2.1 opinions on reports and fused items."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import Connection
from ulid import ULID

from markaz.centre import Centre
from markaz.domain.enums import Opinion
from markaz.domain.text import check_free_text
from markaz.errors import InvalidInput, MalformedBody, NotFound
from markaz.storage import comments as store
from markaz.storage import reports as report_store
from markaz.storage.canonical import iso
from markaz.storage.outbox import enqueue
from markaz.storage.principals import Principal

MAX_TEXT = 10_000


def _explanation(value: str) -> str:
    check_free_text(value, "text")
    if not value.strip():
        raise ValueError("text may not be blank: say what you think and why")
    return value


class CommentCreate(BaseModel):
    """A comment, optionally carrying an opinion; `text` is its explanation."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT), AfterValidator(_explanation)]
    opinion: Opinion | None = None
    reply_to: Annotated[str | None, Field(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")] = None


@dataclass(frozen=True)
class Resolved:
    """An item as one viewer sees it."""

    # The id a new comment is stored under: the viewer's own id of the item.
    item_id: str
    # The ids whose comments belong to the item as this viewer sees it. A fused item is known by
    # the id of any contributing observation; a comment is anchored at the commenter's id, so a
    # viewer reads it only if it may see that anchoring observation and it is part of its item.
    anchors: tuple[str, ...]
    # The members to tell of a comment: the item's originating members.
    originators: frozenset[str]


# (connection, centre, viewer, item id) -> the item as the viewer sees it, or None when the
# viewer may not see it: then it does not exist, for the thread, its count and its tally alike.
Resolver = Callable[[Connection, Centre, str, str], Resolved | None]


@dataclass(frozen=True)
class ItemKind:
    name: str
    resolve: Resolver


def _report(conn: Connection, centre: Centre, viewer: str, item_id: str) -> Resolved | None:
    row = report_store.get_report_row(conn, viewer, item_id)
    return None if row is None else Resolved(item_id, (item_id,), frozenset({row["originator"]}))


def _fused(kind: str, prefix: str) -> Resolver:
    def resolve(conn: Connection, centre: Centre, viewer: str, item_id: str) -> Resolved | None:
        from markaz.analysis.fused import get_item

        try:
            # The fusion's own visibility rule: derived only from what the viewer may see.
            item = get_item(conn, centre, viewer, kind, item_id)
        except NotFound:
            return None
        anchors = tuple(sorted({f"{prefix}{c['observation_id']}" for c in item["contributions"]}))
        return Resolved(str(item["id"]), anchors, frozenset(item["originators"]))

    return resolve


ITEM_KINDS: dict[str, ItemKind] = {
    "report": ItemKind("report", _report),
    "site": ItemKind("site", _fused("site", "S")),
    "track": ItemKind("track", _fused("track", "T")),
}


def _kind(name: str) -> ItemKind:
    try:
        return ITEM_KINDS[name]
    except KeyError:
        raise InvalidInput(f"comments are kept on {', '.join(sorted(ITEM_KINDS))}, not {name}") from None


def public_comment(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "item": {"type": row["target_type"], "id": row["target_id"]},
        "reply_to": row["parent_id"],
        "member": row["member_code"],
        "author": row["author"],
        "created_at": iso(row["created_at"]),
        "opinion": row["opinion"],
        "text": row["body"],
    }


def parse_comment(body: Any) -> CommentCreate:
    if not isinstance(body, dict):
        raise MalformedBody('send a JSON object: {"text": "...", "opinion": "agree", "reply_to": null}')
    from markaz.collection.intake import parse_model

    return parse_model(CommentCreate, body)


def add_comment(
    centre: Centre, principal: Principal, kind_name: str, item_id: str, body: Any
) -> dict[str, Any]:
    """Store a comment on an item the principal's member may see; tell the originators and the
    author of the comment replied to. Anything wrong changes nothing."""
    from markaz.collection.intake import require_writer

    require_writer(principal)
    kind = _kind(kind_name)
    comment = parse_comment(body)
    db = centre.db
    with db.write() as conn:
        item = kind.resolve(conn, centre, principal.member, item_id)
        if item is None:
            raise NotFound(f"there is no {kind.name} {item_id}")
        told = set(item.originators)
        if comment.reply_to is not None:
            parent = store.get_comment(conn, comment.reply_to)
            if (
                parent is None
                or parent["target_type"] != kind.name
                or parent["target_id"] not in item.anchors
            ):
                raise InvalidInput(
                    f"there is no comment {comment.reply_to} on {kind.name} {item_id} to reply to",
                    field="reply_to",
                )
            told.add(parent["member_code"])
        told.discard(principal.member)
        # Only members that will be able to read the comment are told of it: for a fused item,
        # those that may see the observation the comment is anchored at.
        told = {m for m in told if kind.resolve(conn, centre, m, item.item_id) is not None}
        now = datetime.now(UTC)
        row = {
            "id": str(ULID.from_datetime(now)),
            "target_type": kind.name,
            "target_id": item.item_id,
            "parent_id": comment.reply_to,
            "member_code": principal.member,
            "author_id": principal.id,
            "author": principal.username,
            "created_at": now,
            "opinion": comment.opinion.value if comment.opinion else None,
            "body": comment.text,
        }
        store.insert_comment(conn, db.dialect, row, told, actor=principal.username)
        public = public_comment(row)
        if told:
            # Delivered like any item (webhook, inbox, live stream) if and only if this commits.
            enqueue(
                conn,
                db.dialect,
                event="notification",
                report_id=str(row["id"]),
                precedence="ROUTINE",
                recipients=sorted(told),
                payload={"kind": "comment", **public},
                now=now,
            )
    return public


def list_comments(
    centre: Centre, viewer: str, kind_name: str, item_id: str, *, limit: int, after: str | None = None
) -> dict[str, Any]:
    """The thread on an item, oldest first (replies name `reply_to`), with the opinions counted."""
    kind = _kind(kind_name)
    with centre.db.read() as conn:
        item = kind.resolve(conn, centre, viewer, item_id)
        if item is None:
            raise NotFound(f"there is no {kind.name} {item_id}")
        count, opinions = store.tally(conn, kind.name, item.anchors)
        rows = store.list_comments(conn, kind.name, item.anchors, limit=limit + 1, after_id=after)
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "item": {"type": kind.name, "id": item.item_id},
        "count": count,
        "opinions": {o.value: opinions.get(o.value, 0) for o in Opinion},
        "items": [public_comment(r) for r in rows],
        "next_cursor": rows[-1]["id"] if more and rows else None,
    }


def notifications(centre: Centre, viewer: str, *, limit: int, after: str | None = None) -> dict[str, Any]:
    """Comments the viewer's member was told about, on items it may still see, oldest first."""
    with centre.db.read() as conn:
        found = store.notified_report_comments(conn, viewer, limit=limit + 1, after_id=after)
        for name, kind in ITEM_KINDS.items():
            if name == "report":
                continue
            # Fused items' visibility is the fusion's to decide, item by item: read on in
            # chunks until enough visible ones are found, so paging stays complete.
            seen, cursor = 0, after
            while seen <= limit:
                chunk = store.notified_comments(conn, viewer, name, limit=200, after_id=cursor)
                for row in chunk:
                    if kind.resolve(conn, centre, viewer, row["target_id"]) is not None:
                        found.append(row)
                        seen += 1
                if len(chunk) < 200:
                    break
                cursor = chunk[-1]["id"]
    found.sort(key=lambda r: str(r["id"]))
    more = len(found) > limit
    found = found[:limit]
    return {
        "items": [public_comment(r) for r in found],
        "next_cursor": found[-1]["id"] if more and found else None,
    }
