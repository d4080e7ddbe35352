"""`column IN (...)` with a bounded number of SQL texts, whatever the list's length."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement

# The shortest padded list: short lists, the common case, share one text.
SHORTEST = 8


def padded(values: Iterable[Any]) -> list[Any]:
    """`values` lengthened to the next power of two (at least SHORTEST) by repeating its last
    value; an empty list stays empty. Repeating a value changes nothing an IN list means."""
    items = list(values)
    if not items:
        return items
    size = max(SHORTEST, 1 << (len(items) - 1).bit_length())
    return items + [items[-1]] * (size - len(items))


def one_of(column: ColumnElement[Any], values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN (values)` rendered with one of a few list lengths.

    SQLAlchemy writes a placeholder for each value, so every length of list is a different
    SQL text, and each text is a statement prepared anew by each connection that meets it
    (Python's sqlite3 keeps 128 per connection and psycopg prepares a text it has seen five
    times). Under the load benchmark one `markaz serve` sent about one new text a second,
    without end (report_access and reports looked up for the outbox's fan-out, rate-limit
    leases handed back: bench/_memprobe.py's distinct_sql), and the statement caches kept
    replacing one prepared statement with another (docs/operations.md). Padded, a lookup has
    at most eleven texts up to 8,192 values; the server's texts stopped at 82.
    """
    return column.in_(padded(values))
