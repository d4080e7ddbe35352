"""Fixtures for the extraction engine: one gazetteer built into a temporary cache per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from markaz.processing import Extractor, get_extractor


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("markaz-cache")


@pytest.fixture(scope="session")
def extractor(cache_dir: Path) -> Extractor:
    return get_extractor(cache_dir)
