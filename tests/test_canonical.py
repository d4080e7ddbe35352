"""The one text form of a time: the fast path gives exactly the strftime form the audit chain hashed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from markaz.storage.canonical import iso

zones = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(st.datetimes(timezones=zones))
def test_iso_is_the_strftime_form_in_utc(value: datetime) -> None:
    try:
        expected = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    except OverflowError:  # a time near year 1 or 9999 that leaves the range when moved to UTC
        return
    assert iso(value) == expected


def test_iso_of_none_is_none() -> None:
    assert iso(None) is None
