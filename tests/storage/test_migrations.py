"""Migrations create the schema the code expects and upgrade old databases without loss."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from learnloop.errors import DatabaseError
from learnloop.storage import (
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    require_current,
    upgrade,
)
from learnloop.storage.tables import Base


def test_upgrade_creates_every_table_and_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ; add a migration: {diff}"
    engine.dispose()


def test_a_database_from_the_first_version_upgrades_without_losing_data(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, username, display_name, role, language, is_active,"
                " created_at) VALUES (1, 'ana', 'Ana', 'student', 'en', true, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO courses (id, key, title, description, languages, version, settings,"
                " created_at, updated_at) VALUES (1, 'c', '{\"en\": \"C\"}', '{}', '[\"en\"]', '1',"
                " '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO items (id, course_id, key, type, prompt, answer, reference_answers,"
                " rubric, hints, explanation, difficulty, position, retired) VALUES (1, 1, 'q', "
                "'numeric', '{}', '{\"type\": \"numeric\", \"value\": \"1\"}', '[]', '[]', '[]',"
                " '{}', 0.5, 0, false)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO attempts (id, user_id, item_id, response, language, hints_used,"
                " submitted_at) VALUES (1, 1, 1, '{\"value\": \"1\"}', 'en', 0, CURRENT_TIMESTAMP)"
            )
        )
    with pytest.raises(DatabaseError, match="learnloop db upgrade"):
        require_current(engine)

    upgrade(engine)

    require_current(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT username FROM users")).scalars().all() == ["ana"]
        assert conn.execute(text("SELECT key FROM items")).scalars().all() == ["q"]
        assert conn.execute(text("SELECT count(*) FROM attempts")).scalar() == 1
    engine.dispose()


def test_downgrade_to_empty_and_back(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert "attempts" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_a_stored_answer_cannot_be_changed(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, username, display_name, role, language, is_active,"
                " created_at) VALUES (1, 'ana', 'Ana', 'student', 'en', true, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO courses (id, key, title, description, languages, version, settings,"
                " created_at, updated_at) VALUES (1, 'c', '{}', '{}', '[]', '1', '{}',"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO items (id, course_id, key, type, prompt, answer, reference_answers,"
                " rubric, hints, explanation, difficulty, position, retired) VALUES (1, 1, 'q',"
                " 'text', '{}', '{}', '[]', '[]', '[]', '{}', 0.5, 0, false)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO attempts (id, user_id, item_id, response, language, hints_used,"
                " submitted_at) VALUES (1, 1, 1, '{\"value\": \"a\"}', 'en', 0, CURRENT_TIMESTAMP)"
            )
        )
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text('UPDATE attempts SET response = \'{"value": "b"}\' WHERE id = 1'))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT response FROM attempts")).scalar() in (
            '{"value": "a"}',
            {"value": "a"},
        )
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_an_unreachable_database_gives_a_clear_error() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(DatabaseError, match="cannot reach the database"):
        current_revision(engine)
