"""IN lists padded to a few lengths: the same rows, and a bounded number of SQL texts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, ColumnElement, Integer, MetaData, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from markaz.centre import Centre
from markaz.storage.in_list import SHORTEST, one_of, padded
from markaz.storage.schema import members
from tests.conftest import Account

_t = Table("t", MetaData(), Column("id", Integer))


@given(st.lists(st.integers(), max_size=3000))
def test_padding_keeps_the_values_and_uses_a_power_of_two(values: list[int]) -> None:
    out = padded(values)
    assert set(out) == set(values)
    assert out[: len(values)] == values
    if values:
        assert len(out) >= max(SHORTEST, len(values))
        assert len(out) & (len(out) - 1) == 0  # a power of two
        assert len(out) < 2 * max(SHORTEST, len(values))
    else:
        assert out == []


def _texts(condition: Callable[[Sequence[int]], ColumnElement[bool]], dialect: Any) -> set[str]:
    """The SQL texts of `SELECT id FROM t WHERE condition(ids)` for 1 to 1,000 ids."""
    return {
        str(
            select(_t.c.id)
            .where(condition(list(range(n))))
            .compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        )
        for n in range(1, 1001)
    }


def test_a_thousand_list_lengths_make_a_handful_of_sql_texts() -> None:
    for dialect in (sqlite.dialect(), postgresql.psycopg.dialect()):
        assert len(_texts(lambda ids: one_of(_t.c.id, ids), dialect)) == 8  # 8, 16, ..., 1024
        assert len(_texts(_t.c.id.in_, dialect)) == 1000  # what the padding is for


def test_a_padded_lookup_finds_the_rows_the_plain_one_finds(
    centre: Centre, accounts: dict[str, Account]
) -> None:
    codes = sorted(accounts)
    wanted = [[], codes[:1], codes[1:3], codes, [*codes, "XX"], ["XX"], codes * 5]
    with centre.db.read() as conn:
        for values in wanted:
            plain = conn.execute(select(members.c.code).where(members.c.code.in_(values))).scalars()
            found = conn.execute(select(members.c.code).where(one_of(members.c.code, values))).scalars()
            assert sorted(found) == sorted(plain) == sorted(set(values) & set(codes)), values
