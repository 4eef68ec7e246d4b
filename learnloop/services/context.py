"""The handle every interface (web, CLI, Python API) uses to reach the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from learnloop.settings import Settings, get_settings
from learnloop.storage import make_engine, require_current, session_factory, upgrade


@dataclass
class Backend:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def open(cls, settings: Settings | None = None, *, check_schema: bool = True) -> Backend:
        """Connect; with ``check_schema`` refuse a database that needs ``learnloop db upgrade``."""
        settings = settings or get_settings()
        engine = make_engine(settings.resolved_database_url)
        if check_schema:
            require_current(engine)
        return cls(
            settings=settings, engine=engine, sessions=session_factory(engine, settings=settings)
        )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit on success, roll back on any error: a use case is all or nothing."""
        with self.sessions() as session, session.begin():
            yield session

    def upgrade(self) -> None:
        upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()


def settings_of(s: Session) -> Settings:
    """The settings of the backend that opened ``s`` (the process's settings for a session
    made elsewhere, as some tests do)."""
    settings = s.info.get("settings")
    return settings if isinstance(settings, Settings) else get_settings()
