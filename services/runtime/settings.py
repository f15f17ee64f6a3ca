"""Glance settings: one pydantic-settings class, `GLANCE_` environment prefix, optional `.env`.

The defaults select the embedded mode (SQLite file in the data dir, in-process cache), so
`glance demo` needs no configuration at all. Compose sets the Postgres and Redis URLs.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from db.engine import EngineOptions
from db.queries.scoring import Thresholds

_SECRETS_DIR = Path("/run/secrets")


class Settings(BaseSettings):
    """Every runtime setting of both services, read from `GLANCE_*` variables."""

    model_config = SettingsConfigDict(
        env_prefix="GLANCE_",
        env_file=".env",
        extra="ignore",
        secrets_dir=str(_SECRETS_DIR) if _SECRETS_DIR.is_dir() else None,
    )

    # Where things live
    data_dir: Path = Path(".glance")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite in the data dir")
    redis_url: str = Field(default="", description="Redis URL; empty means the in-process cache")
    sync_url: str = "http://127.0.0.1:8000"

    # Secrets (environment or Docker secrets only)
    api_token: SecretStr | None = None
    secret_key: SecretStr | None = None
    admin_password: SecretStr | None = None

    # Servers
    sync_host: str = "127.0.0.1"
    sync_port: int = 8000
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = 5006
    dashboard_num_procs: int = 1
    public_url: str = ""

    # Timeouts: every network call has one
    # The engine's defaults are db.engine.EngineOptions' (what Alembic's command line gets too).
    db_connect_timeout_s: int = EngineOptions.db_connect_timeout_s
    db_statement_timeout_ms: int = EngineOptions.db_statement_timeout_ms
    db_pool_size: int = EngineOptions.db_pool_size
    db_pool_timeout_s: float = EngineOptions.db_pool_timeout_s
    redis_connect_timeout_s: float = 0.5
    redis_socket_timeout_s: float = 0.5
    redis_retry_after_s: float = 5.0
    sync_timeout_s: float = 30.0

    # Cache
    cache_ttl_s: int = 6 * 3600
    cache_max_entries: int = 2048

    # Business rules
    reporting_currency: str = "GBP"
    health_on_track_ratio: Decimal = Decimal("0.98")
    health_watch_ratio: Decimal = Decimal("0.90")
    health_off_track_share: Decimal = Decimal("0.25")

    # Imports
    max_upload_mb: int = 200
    import_batch_rows: int = 100_000  # rows read, checked and copied at a time: memory follows this, not the file
    import_statement_timeout_ms: int = 3_600_000

    # Sources, scheduler, freshness and alerts (see "Scheduled work" in README.md)
    sources_file: Path | None = Field(default=None, description="YAML file declaring the sources to pull")
    secrets_dir: Path = Field(default=_SECRETS_DIR, description="where `*_secret: NAME` references are read")
    pull_dir: Path | None = Field(
        default=None, description="scratch space for pulled batches; default <data dir>/pulls"
    )
    scheduler_enabled: bool = Field(
        default=True, description="run scheduled pulls, checks and backups in the sync service"
    )
    scheduler_check_interval_s: int = Field(default=300, description="how often freshness and alerts are checked")
    freshness_hours: dict[str, float] = Field(
        default_factory=dict, description='expected freshness by import kind or source name, e.g. {"sales": 26}'
    )
    alert_webhooks: str = Field(default="", description="comma-separated webhook URLs (Slack-compatible JSON)")
    alert_email_to: str = Field(default="", description="comma-separated addresses for alert email")
    alert_email_from: str = "glance@localhost"
    alert_failures_in_a_row: int = 3
    alert_rejected_share: float = Field(default=0.05, description="alert when one import rejects more than this share")
    alert_timeout_s: float = 10.0
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False

    # Backups
    backup_dir: Path | None = Field(default=None, description="where backups are written; default <data dir>/backups")
    backup_schedule: str = Field(
        default="", description="cron expression or 'every 24h'; empty means no scheduled backup"
    )
    backup_keep_daily: int = 7
    backup_keep_weekly: int = 4
    pg_bin_dir: str = Field(default="", description="directory holding pg_dump/pg_restore/psql; default: search PATH")

    # Logging
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "INFO"

    @field_validator("reporting_currency")
    @classmethod
    def _upper_currency(cls, value: str) -> str:
        code = value.strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise ValueError(f"reporting currency {value!r} is not a 3-letter ISO code such as GBP")
        return code

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to the embedded SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'glance.db').resolve()}"

    @property
    def health_thresholds(self) -> Thresholds:
        """The KPI scoring bands for `db.queries.scorecard`."""
        return Thresholds(
            on_track_ratio=self.health_on_track_ratio,
            watch_ratio=self.health_watch_ratio,
            off_track_share=self.health_off_track_share,
        )

    @property
    def is_embedded(self) -> bool:
        """True when running on SQLite (the no-Docker default)."""
        return self.effective_database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
