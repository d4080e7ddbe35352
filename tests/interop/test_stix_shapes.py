"""STIX objects whose reference lists, extensions or confidence have the wrong shape are refused clearly."""

from __future__ import annotations

from typing import Any

import pytest

from markaz.collection import stix_import
from markaz.errors import InvalidInput

REPORT = {
    "type": "report",
    "spec_version": "2.1",
    "id": "report--6b9c8a44-6a4b-4f5e-9d44-0a6f0c6d4a11",
    "created": "2026-01-01T00:00:00.000Z",
    "modified": "2026-01-01T00:00:00.000Z",
    "name": "synthetic",
    "published": "2026-01-01T00:00:00.000Z",
    "object_refs": [],
}


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("object_refs", True, "objects.0.object_refs"),
        ("object_refs", [["location--x"]], "objects.0.object_refs"),
        ("object_marking_refs", True, "objects.0.object_marking_refs"),
        ("object_marking_refs", [{"id": "x"}], "objects.0.object_marking_refs"),
        ("extensions", True, "objects.0.extensions"),
        ("extensions", {"extension-definition--x": True}, "objects.0.extensions"),
        ("confidence", [1], "objects.0.confidence"),
        ("confidence", True, "objects.0.confidence"),
        ("confidence", 101, "objects.0.confidence"),
    ],
)
def test_wrong_shapes_are_refused(key: str, value: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        stix_import.check_envelope({"type": "bundle", "objects": [{**REPORT, key: value}]})
    assert refused.value.field == field


def test_the_right_shapes_pass() -> None:
    objects = stix_import.check_envelope({"type": "bundle", "objects": [REPORT]})
    stix_import.plan(objects, "IQ")
