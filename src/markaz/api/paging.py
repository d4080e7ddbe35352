"""The page parameters list routes share: `limit` and `cursor`, checked against the centre's page sizes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from markaz.centre import Centre
from markaz.errors import InvalidInput

Limit = Annotated[int | None, Query(ge=1)]
Cursor = Annotated[str | None, Query(max_length=500)]


def page_size(centre_max: int, limit: int | None, default: int) -> int:
    """The page size asked for, `default` when none; more than `centre_max` is refused, not cut."""
    if limit is None:
        return default
    if limit > centre_max:
        raise InvalidInput(f"limit may be at most {centre_max}", field="limit")
    return limit


def page_limit(centre: Centre, limit: int | None) -> int:
    """`page_size` with the centre's settings: MARKAZ_DEFAULT_PAGE_SIZE up to MARKAZ_MAX_PAGE_SIZE."""
    return page_size(centre.settings.max_page_size, limit, centre.settings.default_page_size)
