"""attempts are append-only: the database refuses to change a stored answer

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MESSAGE = "attempts are append-only: a stored answer cannot be changed"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION learnloop_attempts_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{MESSAGE}'; END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER attempts_append_only BEFORE UPDATE ON attempts "
            "FOR EACH ROW EXECUTE FUNCTION learnloop_attempts_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER attempts_append_only BEFORE UPDATE ON attempts "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER attempts_append_only"
        + (" ON attempts" if op.get_bind().dialect.name == "postgresql" else "")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION learnloop_attempts_append_only()")
