"""The Centre: one object per process, built from Settings, that every interface drives."""

from __future__ import annotations

from markaz.settings import Settings
from markaz.storage.database import Database


class Centre:
    """Holds the settings and the database; the API, CLI, workers and tests each build their own."""

    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)

    def close(self) -> None:
        self.db.dispose()
