"""Chair terms in pure dates: the three-month rule, contiguity, and the next terms of the cycle."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

MAX_TERM_MONTHS = 3


@dataclass(frozen=True)
class ChairTerm:
    """`member` chairs the centre from `starts_on` through `ends_on`, both days included."""

    member: str
    starts_on: date
    ends_on: date


def add_months(d: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month = end of Feb)."""
    index = d.month - 1 + months
    year, month = d.year + index // 12, index % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def full_term_end(starts_on: date, months: int) -> date:
    return add_months(starts_on, months) - timedelta(days=1)


def check_term_months(months: int) -> int:
    if not 1 <= months <= MAX_TERM_MONTHS:
        raise ValueError(f"a chair term may last 1 to {MAX_TERM_MONTHS} calendar months, not {months}")
    return months


def next_terms(
    order: Sequence[str],
    after_member: str | None,
    first_chair: str,
    starts_on: date,
    until: date,
    months: int,
    eligible: Callable[[str, date], bool],
) -> list[ChairTerm]:
    """Full terms from `starts_on` through at least `until`, continuing the cycle after `after_member`.

    Members for whom `eligible(member, start)` is false at their turn (suspended, withdrawn,
    not yet admitted) are skipped at that turn; if nobody is eligible, that is an error.
    """
    check_term_months(months)
    if not order:
        raise ValueError("the rotation has no members")
    if after_member is None:
        if first_chair not in order:
            raise ValueError(f"the first chair {first_chair} is not in the rotation")
        index = order.index(first_chair)
    else:
        index = (order.index(after_member) + 1) % len(order) if after_member in order else 0
    terms: list[ChairTerm] = []
    start = starts_on
    while start <= until:
        for step in range(len(order)):
            member = order[(index + step) % len(order)]
            if eligible(member, start):
                break
        else:
            raise ValueError(f"no member is eligible to chair the centre from {start.isoformat()}")
        end = full_term_end(start, months)
        terms.append(ChairTerm(member, start, end))
        index = (order.index(member) + 1) % len(order)
        start = end + timedelta(days=1)
    return terms


def check_terms(terms: Sequence[ChairTerm], months: int) -> None:
    """Raise ValueError naming the first term that breaks the rules."""
    for i, term in enumerate(terms):
        if term.ends_on < term.starts_on:
            raise ValueError(f"the term of {term.member} from {term.starts_on} ends before it starts")
        if term.ends_on > full_term_end(term.starts_on, months):
            raise ValueError(
                f"the term of {term.member} from {term.starts_on} is longer than {months} months"
            )
        if i and term.starts_on != terms[i - 1].ends_on + timedelta(days=1):
            raise ValueError(
                f"the term of {term.member} from {term.starts_on} does not follow the previous one"
            )
