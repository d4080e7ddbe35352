"""TAXII 2.1 catalogue: discovery, the one API root, and each member's set of collections."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from markaz import __version__
from markaz.centre import Centre
from markaz.dissemination import stix
from markaz.dissemination.taxii.protocol import API_ROOT, STIX_MEDIA, TAXII_MEDIA, Response, TaxiiRequest, ok
from markaz.errors import NotFound
from markaz.storage.principals import Principal


@dataclass(frozen=True)
class Collection:
    kind: str
    title: str
    description: str
    can_read: bool
    can_write: bool


KINDS: dict[str, Collection] = {
    "released": Collection(
        "released",
        "Released to us",
        "Everything released to this member, its own reports included, as STIX 2.1.",
        True,
        False,
    ),
    "submissions": Collection(
        "submissions",
        "Our submissions",
        "The reports this member submitted. POST adds reports; DELETE of a report object retracts it.",
        True,
        True,
    ),
    "fused": Collection(
        "fused",
        "Fused picture",
        "Sites and tracks as this member sees them: each a STIX grouping of its contributions' locations.",
        True,
        False,
    ),
    "submit": Collection(
        "submit",
        "Submit",
        "Write only: every report of a posted envelope becomes a markaz report of this member.",
        False,
        True,
    ),
}


def collection_id(member: str, kind: str) -> str:
    return str(uuid.uuid5(stix.MARKAZ_NAMESPACE, f"taxii:collection:{member}:{kind}"))


def find_collection(principal: Principal, cid: str) -> Collection:
    for kind, c in KINDS.items():
        if collection_id(principal.member, kind) == cid:
            return c
    raise NotFound(f"there is no collection {cid}")


def collection_resource(principal: Principal, c: Collection) -> dict[str, Any]:
    return {
        "id": collection_id(principal.member, c.kind),
        "title": c.title,
        "description": c.description,
        "can_read": c.can_read,
        "can_write": c.can_write,
        "media_types": [STIX_MEDIA],
    }


def discovery(centre: Centre, request: TaxiiRequest) -> Response:
    return ok(
        {
            "title": "markaz TAXII 2.1 server",
            "description": "Reports released to each member, as STIX 2.1; one API root.",
            "default": f"/taxii2/{API_ROOT}/",
            "api_roots": [f"/taxii2/{API_ROOT}/"],
        }
    )


def api_root(centre: Centre, request: TaxiiRequest) -> Response:
    return ok(
        {
            "title": "markaz",
            "description": f"markaz {__version__}: the exchange of one centre.",
            "versions": [TAXII_MEDIA],
            "max_content_length": centre.settings.max_body_bytes,
        }
    )


def collections(centre: Centre, request: TaxiiRequest) -> Response:
    assert request.principal is not None
    return ok({"collections": [collection_resource(request.principal, c) for c in KINDS.values()]})


def collection(centre: Centre, request: TaxiiRequest, cid: str) -> Response:
    assert request.principal is not None
    return ok(collection_resource(request.principal, find_collection(request.principal, cid)))
