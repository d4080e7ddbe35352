"""The shared extractor for fuzzing: the gazetteer from the user cache (built once, then loaded)."""

from __future__ import annotations

import pytest

from markaz.processing import Extractor, get_extractor


@pytest.fixture(scope="session")
def extractor() -> Extractor:
    return get_extractor()
