"""IN lists padded to a few lengths: the same rows, and a bounded number of SQL texts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from markaz.storage.in_list import SHORTEST, one_of, padded

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


def _text(n: int, dialect: object) -> str:
    query = select(_t.c.id).where(one_of(_t.c.id, range(n)))
    return str(query.compile(dialect=dialect, compile_kwargs={"render_postcompile": True}))  # type: ignore[arg-type]


def test_a_thousand_list_lengths_make_a_handful_of_sql_texts() -> None:
    for dialect in (sqlite.dialect(), postgresql.psycopg.dialect()):
        texts = {_text(n, dialect) for n in range(1, 1001)}
        assert len(texts) == 8  # 8, 16, ..., 1024
        plain = {
            str(
                select(_t.c.id)
                .where(_t.c.id.in_(list(range(n))))
                .compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
            )
            for n in range(1, 1001)
        }
        assert len(plain) == 1000  # what the padding is for
