"""One typed settings object, read from ``LEARNLOOP_*`` environment variables and ``.env``.

Every setting is documented here and in docs/configuration.md.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from learnloop.errors import ConfigurationError

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev-secret-change-me"}


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("learnloop", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEARNLOOP_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    """``production`` refuses placeholder secrets."""
    data_dir: Path = Field(default_factory=default_data_dir)
    """Where the SQLite database, models and indexes live."""
    database_url: str = ""
    """SQLAlchemy URL. Empty: a SQLite file ``learnloop.db`` in ``data_dir``.
    PostgreSQL: ``postgresql+psycopg://user@host:5432/dbname``."""
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secret_key: str = "dev-secret-change-me"
    """Signs session cookies. Set a long random value in production."""
    default_language: Literal["en", "zh"] = "en"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    tracing_model: str = Field(default="bkt", pattern=r"^[A-Za-z0-9_.-]+$")
    """The fitted student model the answer loop uses: the name given to ``learnloop kt fit``
    (``--name``, else the model's). Until that model is fitted, a running estimate is used."""
    threads: int = Field(default=4, ge=1, le=256)
    """Threads per server process running request handlers (their database work and grading).
    Python runs one thread at a time, so more threads than this only wait for each other and
    stretch tail latency; raise it if handlers mostly wait on a remote database."""
    redis_url: str = ""
    """Empty: background jobs (training a grader) run in a thread of the process that
    started them. ``redis://host:6379/0``: they go to an RQ queue that ``learnloop worker``
    processes consume (install ``learnloop[queue]``)."""
    redis_queue: str = Field(default="learnloop", pattern=r"^[A-Za-z0-9_.:-]+$")
    """The RQ queue's name, so several learnloop installations can share one Redis."""

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key.lower() in PLACEHOLDER_SECRETS:
            raise ValueError(
                "LEARNLOOP_SECRET_KEY is a placeholder; in production set it to a long random "
                "value, e.g. the output of: "
                "python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'learnloop.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    try:
        return Settings()
    except ValueError as exc:
        raise ConfigurationError(f"invalid configuration: {exc}") from exc
