"""Shared pieces of the interoperability tests: TAXII headers, collection ids, sample reports."""

from __future__ import annotations

import base64
from typing import Any

from markaz.dissemination.taxii import TAXII_MEDIA, collection_id

TAXII = {"Accept": TAXII_MEDIA}


def bearer(token: str) -> dict[str, str]:
    return {**TAXII, "Authorization": f"Bearer {token}"}


def basic(user: str, token: str) -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{token}".encode()).decode()
    return {**TAXII, "Authorization": f"Basic {raw}"}


def objects_url(member: str, kind: str) -> str:
    return f"/taxii2/markaz/collections/{collection_id(member, kind)}/objects/"


def report(title: str, release: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": title,
        "body": "synthetic test report",
        "language": "en",
        "precedence": "PRIORITY",
        "source_reliability": "B",
        "information_credibility": "2",
        "tlp": "GREEN",
        "releasable_to": release or ["ALL"],
        "observations": [
            {
                "category": "gathering",
                "geometry": {"type": "Point", "coordinates": [43.119, 36.335]},
                "subject": "Group A (synthetic)",
                "observed_at": "2026-09-12T06:00:00Z",
            },
            {
                "category": "smuggling_route",
                "geometry": {"type": "LineString", "coordinates": [[40.9, 34.5], [43.1, 36.3]]},
                "note": "route by night",
            },
        ],
    }
    body.update(extra)
    return body
