"""Chair terms as pure dates: the three-month rule and the cycle, with generated cases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from markaz.governance.terms import ChairTerm, add_months, check_term_months, check_terms, next_terms


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2016, 1, 31), 1) == date(2016, 2, 29)
    assert add_months(date(2015, 1, 31), 1) == date(2015, 2, 28)
    assert add_months(date(2015, 11, 30), 3) == date(2016, 2, 29)
    assert add_months(date(2015, 10, 1), 3) == date(2016, 1, 1)


def test_four_months_refused() -> None:
    with pytest.raises(ValueError, match="1 to 3 calendar months"):
        check_term_months(4)


def test_founding_case() -> None:
    terms = next_terms(
        ["IQ", "RU", "SY", "IR"], None, "IQ", date(2015, 10, 1), date(2016, 12, 31), 3, lambda m, d: True
    )
    assert terms[:3] == [
        ChairTerm("IQ", date(2015, 10, 1), date(2015, 12, 31)),
        ChairTerm("RU", date(2016, 1, 1), date(2016, 3, 31)),
        ChairTerm("SY", date(2016, 4, 1), date(2016, 6, 30)),
    ]
    assert terms[4].member == "IQ"


def test_ineligible_member_is_skipped_and_nobody_eligible_is_an_error() -> None:
    terms = next_terms(
        ["IQ", "RU", "SY"], None, "IQ", date(2020, 1, 1), date(2020, 12, 31), 3, lambda m, d: m != "RU"
    )
    assert [t.member for t in terms] == ["IQ", "SY", "IQ", "SY"]
    with pytest.raises(ValueError, match="no member is eligible"):
        next_terms(["IQ"], None, "IQ", date(2020, 1, 1), date(2020, 2, 1), 3, lambda m, d: False)


@st.composite
def rotations(draw: st.DrawFn) -> tuple[list[str], str, int, date, date, dict[str, tuple[date, date]]]:
    codes = draw(st.lists(st.sampled_from([f"M{i}" for i in range(10)]), min_size=2, max_size=8, unique=True))
    first = draw(st.sampled_from(codes))
    months = draw(st.integers(1, 3))
    start = draw(st.dates(date(2000, 1, 1), date(2040, 1, 1)))
    until = start + timedelta(days=draw(st.integers(0, 3000)))
    # At most all but one member suspended for a window, so somebody is always eligible.
    suspended = {}
    for code in draw(st.lists(st.sampled_from(codes), max_size=len(codes) - 1, unique=True)):
        a = start + timedelta(days=draw(st.integers(0, 3000)))
        suspended[code] = (a, a + timedelta(days=draw(st.integers(0, 400))))
    return codes, first, months, start, until, suspended


@given(rotations())
def test_generated_rotations_keep_the_rules(
    case: tuple[list[str], str, int, date, date, dict[str, tuple[date, date]]],
) -> None:
    codes, first, months, start, until, suspended = case

    def eligible(member: str, on: date) -> bool:
        window = suspended.get(member)
        return window is None or not window[0] <= on <= window[1]

    terms = next_terms(codes, None, first, start, until, months, eligible)
    check_terms(terms, months)  # no term over the maximum, no gap, no overlap
    assert terms[0].starts_on == start and terms[-1].ends_on >= until
    for term in terms:
        assert eligible(term.member, term.starts_on)
    # Within one full rotation (len(codes) consecutive terms), every member that was eligible
    # at the start of each of those terms holds one of them.
    n = len(codes)
    for i in range(len(terms) - n + 1):
        window = terms[i : i + n]
        holders = {t.member for t in window}
        for code in codes:
            if all(eligible(code, t.starts_on) for t in window):
                assert code in holders, (code, window)


@given(rotations(), st.integers(0, 30))
def test_continuing_after_any_term_is_the_same_cycle(
    case: tuple[list[str], str, int, date, date, dict[str, tuple[date, date]]], cut: int
) -> None:
    codes, first, months, start, until, _ = case
    terms = next_terms(codes, None, first, start, until, months, lambda m, d: True)
    k = min(cut, len(terms) - 1)
    rest = next_terms(
        codes, terms[k].member, first, terms[k].ends_on + timedelta(days=1), until, months, lambda m, d: True
    )
    assert terms[: k + 1] + rest == terms[: k + 1 + len(rest)]
