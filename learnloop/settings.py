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

from learnloop.domain.course import PolicyName
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
    recommend_policy: PolicyName = "adaptive"
    """How the next activity is chosen (``docs/recommendation.md``); a course may choose its
    own with ``settings: {policy: ...}`` in ``course.yaml``."""
    recommend_target: float = Field(default=0.7, gt=0.3, lt=0.95)
    """The success rate the adaptive policy aims practice at."""
    review_recall: float = Field(default=0.7, gt=0.1, lt=0.99)
    """Predicted recall below which a mastered concept comes back for review."""
    forgetting_model: Literal["fsrs", "decay"] = "decay"
    """The forgetting model behind reviews until ``learnloop kt forgetting`` fits one to the
    platform's own log: ``decay`` had the lower held-out log-loss than ``fsrs`` on every
    simulated course and learner (``bench/forgetting.py``)."""
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
    chat_backend: Literal["local", "openai", "fake", "off"] = "local"
    """Which chat model the tutor generates with. ``local``: llama.cpp on this machine with
    ``local_model`` (install ``learnloop[llm]``). ``openai``: any OpenAI-compatible server
    (vLLM, Ollama, a hosted API) at ``openai_base_url``; student text leaves this machine, so
    only an administrator should set it. ``fake``: canned replies, for tests and UI demos.
    ``off``: no generation; the tutor answers with the best course passages."""
    local_model: Literal["qwen2.5-coder-1.5b", "qwen2.5-0.5b"] = "qwen2.5-coder-1.5b"
    """The local GGUF model, assembled from its packages into ``data_dir/models`` once."""
    llm_context: int = Field(default=4096, ge=512, le=32768)
    """The local model's context window in tokens (prompt plus reply)."""
    llm_threads: int = Field(default=0, ge=0, le=256)
    """CPU threads llama.cpp generates with; 0 means one per core."""
    openai_base_url: str = ""
    """For ``chat_backend=openai``: the server's base URL, e.g. ``http://127.0.0.1:11434/v1``."""
    openai_model: str = ""
    """For ``chat_backend=openai``: the model name the server knows."""
    openai_api_key: str = ""
    """For ``chat_backend=openai``: the bearer token, if the server wants one."""
    embedding_model: Literal["auto", "minilm", "e5", "none"] = "auto"
    """Sentence embeddings for searching course material, beside keyword search (BM25).
    ``minilm``: all-MiniLM-L6-v2, English (``learnloop[ml]``). ``e5``: multilingual-e5-small,
    English and Chinese (``learnloop[multilingual]``). ``auto``: e5 if installed, else minilm
    if installed, else keywords only. ``none``: keywords only."""

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
