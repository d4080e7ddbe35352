"""One typed Settings object for the whole centre, built once and passed in."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "markaz-development-secret-change-me"
_CATEGORIES = frozenset(
    {
        "position",
        "gathering",
        "command_post",
        "weapons_depot",
        "chemical_lab",
        "incident",
        "movement",
        "smuggling_route",
        "other",
    }
)


class Settings(BaseSettings):
    """Configuration read from `MARKAZ_*` environment variables or passed explicitly."""

    model_config = SettingsConfigDict(env_prefix="MARKAZ_", extra="forbid")

    environment: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///./var/markaz.db"
    secret_key: str = DEV_SECRET
    host: str = "127.0.0.1"
    port: int = Field(8600, ge=1, le=65535)
    max_body_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    max_batch_items: int = Field(1000, ge=1, le=10_000)
    max_page_size: int = Field(1000, ge=1, le=10_000)
    default_page_size: int = Field(100, ge=1, le=10_000)
    token_default_days: int = Field(90, ge=1, le=3650)
    sqlite_busy_timeout_ms: int = Field(30_000, ge=0)
    vote_quorum: str = Field("2/3", pattern=r"^[1-9][0-9]?/[1-9][0-9]?$")
    vote_rule: Literal["unanimity", "majority"] = "unanimity"
    # Browser interface (docs/web.md).
    session_hours: int = Field(12, ge=1, le=24 * 30)
    session_idle_minutes: int = Field(30, ge=1, le=24 * 60)
    signin_max_failures: int = Field(5, ge=1, le=100)
    signin_lockout_minutes: int = Field(15, ge=1, le=24 * 60)
    tile_url: str = Field("", pattern=r"^(https?://[^\s\"'<>]+)?$")
    tile_attribution: str = Field("", max_length=300)
    # Dissemination (docs/dissemination.md): handling-time objectives per precedence, webhook
    # delivery, retries and the worker's polling when it runs apart from the server.
    objective_flash_minutes: int = Field(10, ge=1)
    objective_immediate_minutes: int = Field(30, ge=1)
    objective_priority_minutes: int = Field(180, ge=1)
    objective_routine_minutes: int = Field(360, ge=1)
    max_escalations: int = Field(3, ge=1, le=100)
    webhook_timeout_seconds: float = Field(5.0, gt=0, le=120)
    endpoint_concurrency: int = Field(8, ge=1, le=256)
    delivery_max_attempts: int = Field(8, ge=1, le=100)
    delivery_retry_base_seconds: float = Field(2.0, gt=0)
    delivery_retry_max_seconds: float = Field(600.0, gt=0)
    delivery_lease_seconds: float = Field(60.0, gt=0)
    delivery_poll_ms: int = Field(100, ge=5, le=60_000)
    stream_poll_ms: int = Field(250, ge=20, le=60_000)
    # Security (docs/security.md): per-token request rate, CORS, header size, slow clients.
    rate_limit_per_minute: int = Field(6000, ge=0, le=10_000_000)
    rate_limit_processes: int = Field(4, ge=1, le=256)
    rate_limit_sync_seconds: float = Field(1.0, gt=0, le=60)
    signin_attempts_per_minute: int = Field(30, ge=0, le=100_000)
    cors_allow_origins: list[str] = Field(default_factory=list)
    forwarded_allow_ips: str = "127.0.0.1"
    max_header_bytes: int = Field(16 * 1024, ge=1024, le=1024 * 1024)
    header_timeout_seconds: float = Field(10.0, gt=0, le=600)
    body_timeout_seconds: float = Field(60.0, gt=0, le=3600)
    # Fusion (docs/analysis.md): matching distances and windows, confidence half-lives.
    fusion_site_radius_m: float = Field(1000.0, gt=0, le=100_000)
    fusion_radius_by_category: dict[str, float] = Field(default_factory=dict)
    fusion_site_window_days: float = Field(30.0, gt=0, le=3650)
    fusion_track_window_hours: float = Field(24.0, gt=0, le=24 * 365)
    fusion_track_max_speed_kmh: float = Field(120.0, gt=0, le=5000)
    fusion_contradiction_hours: float = Field(48.0, ge=0, le=24 * 365)
    # SQLite: the page cache of the connection while a fusion run holds it (then back to 2 MiB).
    fusion_sqlite_cache_mib: int = Field(256, ge=2, le=65536)
    fusion_half_life_days: dict[str, float] = Field(
        default_factory=lambda: {
            "position": 7.0,
            "gathering": 3.0,
            "command_post": 30.0,
            "weapons_depot": 60.0,
            "chemical_lab": 90.0,
            "incident": 7.0,
            "movement": 1.0,
            "smuggling_route": 30.0,
            "default": 14.0,
        }
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment == "production" and (self.secret_key == DEV_SECRET or len(self.secret_key) < 32):
            raise ValueError(
                "MARKAZ_SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
        num, den = (int(x) for x in self.vote_quorum.split("/"))
        if num > den:
            raise ValueError("vote_quorum is a fraction of the active members, at most 1/1")
        for name in ("fusion_radius_by_category", "fusion_half_life_days"):
            for key, value in getattr(self, name).items():
                if key != "default" and key not in _CATEGORIES:
                    raise ValueError(f"{name}: {key!r} is not a category ({', '.join(sorted(_CATEGORIES))})")
                if not 0 < value <= 100_000:
                    raise ValueError(f"{name}: {key} must be a positive number (got {value})")
        if self.default_page_size > self.max_page_size:
            raise ValueError("default_page_size may not exceed max_page_size")
        return self
