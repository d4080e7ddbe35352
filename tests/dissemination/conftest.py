"""Fixtures for dissemination: a centre with fast retries, members with webhook receivers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from markaz.centre import Centre
from markaz.collection import intake
from markaz.dissemination.channels import add_endpoint
from markaz.settings import Settings
from markaz.storage.principals import Principal
from tests.conftest import SECRET

FAST = {
    "delivery_retry_base_seconds": 0.05,
    "delivery_retry_max_seconds": 0.2,
    "delivery_max_attempts": 3,
    "delivery_poll_ms": 20,
    "webhook_timeout_seconds": 2.0,
    "stream_poll_ms": 50,
}


@pytest.fixture
def fast(database_url: str) -> Iterator[Centre]:
    """A centre whose retries, polls and timeouts are short enough for tests."""
    c = Centre(Settings(database_url=database_url, secret_key=SECRET, **FAST))
    yield c
    c.close()


def hook(centre: Centre, member: str, url: str, secret: str) -> int:
    with centre.db.write() as conn:
        row = add_endpoint(conn, centre.db.dialect, member=member, url=url, secret=secret, actor="test")
    return int(row["id"])


def submit(centre: Centre, principal: Principal, **fields: Any) -> str:
    report = {"title": "report", "releasable_to": ["ALL"], **fields}
    (result,) = intake.submit(centre, principal, [report])
    assert result.error is None, result.error
    assert result.id is not None
    return result.id


def point(lon: float, lat: float, category: str = "position") -> dict[str, Any]:
    return {"category": category, "geometry": {"type": "Point", "coordinates": [lon, lat]}}
