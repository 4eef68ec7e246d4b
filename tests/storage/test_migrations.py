"""Migrations create the schema the code expects and upgrade old databases without loss."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
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


def _insert(conn: Connection, sql: str) -> None:
    conn.execute(text(sql))


def test_upgrading_from_0004_keeps_the_review_queue_and_adds_learned_grading(
    database_url: str,
) -> None:
    """0005 adds the grader registry, teachers' labels and jobs; a queue of answers waiting
    for a teacher from before survives the upgrade and a downgrade."""
    engine = make_engine(database_url)
    upgrade(engine, "0004")
    with engine.begin() as conn:
        _insert(
            conn,
            "INSERT INTO users (id, username, display_name, role, language, is_active,"
            " created_at) VALUES (1, 'ana', 'Ana', 'student', 'en', true, CURRENT_TIMESTAMP),"
            " (2, 'tom', 'Tom', 'teacher', 'en', true, CURRENT_TIMESTAMP)",
        )
        _insert(
            conn,
            "INSERT INTO courses (id, key, title, description, languages, version, settings,"
            " created_at, updated_at) VALUES (1, 'c', '{}', '{}', '[\"en\"]', '1',"
            " '{\"review_threshold\": 0.7}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        )
        _insert(
            conn,
            "INSERT INTO items (id, course_id, key, type, prompt, answer, reference_answers,"
            " rubric, hints, explanation, difficulty, position, retired) VALUES (1, 1, 'q',"
            " 'free_text', '{}', '{\"type\": \"free_text\"}', '[{\"en\": \"Doubled.\"}]', '[]',"
            " '[]', '{}', 0.5, 0, false)",
        )
        _insert(
            conn,
            "INSERT INTO attempts (id, user_id, item_id, response, language, hints_used,"
            " submitted_at) VALUES (1, 1, 1, '{\"value\": \"both doubled\"}', 'en', 0,"
            " CURRENT_TIMESTAMP)",
        )
        _insert(
            conn,
            "INSERT INTO grades (id, attempt_id, verdict, score, feedback, grader, confidence,"
            " provisional, details, created_at) VALUES (1, 1, 'incorrect', 0, 'saved',"
            " 'pending.teacher', 0, true, '{}', CURRENT_TIMESTAMP)",
        )
        _insert(
            conn,
            "INSERT INTO review_queue (id, grade_id, status, reason, note, created_at)"
            " VALUES (1, 1, 'pending', 'free text awaits a teacher', '', CURRENT_TIMESTAMP)",
        )

    upgrade(engine)

    require_current(engine)
    assert {"grader_models", "grading_labels", "jobs"} <= set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        assert conn.execute(text("SELECT status, reason FROM review_queue")).one() == (
            "pending",
            "free text awaits a teacher",
        )
        assert conn.execute(text("SELECT grader FROM grades")).scalar() == "pending.teacher"
        assert conn.execute(text("SELECT count(*) FROM attempts")).scalar() == 1
        _insert(
            conn,
            "INSERT INTO grading_labels (attempt_id, item_id, answer, language, label, score,"
            " teacher_id, source, created_at) VALUES (1, 1, 'both doubled', 'en', 'correct', 1,"
            " 2, 'override', CURRENT_TIMESTAMP)",
        )
        _insert(
            conn,
            "INSERT INTO jobs (kind, status, progress, message, params, result, error,"
            " created_by_id, created_at, updated_at) VALUES ('grader.retrain', 'queued', 0, '',"
            " '{}', '{}', '', 2, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        )
        for course in ("1", "1", "NULL", "NULL"):
            _insert(
                conn,
                "INSERT INTO grader_models (course_id, name, kind, path, metrics, active,"
                f" created_at) VALUES ({course}, 'm', 'tfidf', 'graders/m', '{{}}', false,"
                " CURRENT_TIMESTAMP)",
            )
        _insert(conn, "UPDATE grader_models SET active = true WHERE id IN (1, 3)")

    # one active model per course, and one active default
    for model_id in (2, 4):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            _insert(conn, f"UPDATE grader_models SET active = true WHERE id = {model_id}")

    downgrade(engine, "0004")
    assert "grader_models" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM review_queue")).scalar() == 1
        assert conn.execute(text("SELECT settings FROM courses")).scalar() in (
            '{"review_threshold": 0.7}',
            {"review_threshold": 0.7},
        )
    engine.dispose()
