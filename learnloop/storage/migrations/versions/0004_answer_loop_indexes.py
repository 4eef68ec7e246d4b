"""answer loop indexes: attempts by user and item; one first grade per attempt

The answer loop asks which items a student has solved: without the first index that is
answered from every student's answers to those items, which grows with the school. The second
makes an answer that two retries race to grade get one grade (and one mastery update).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


FIRST_GRADE = "supersedes_id IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.create_index("ix_attempts_user_item", ["user_id", "item_id"], unique=False)
    op.create_index(
        "uq_grades_first_grade",
        "grades",
        ["attempt_id"],
        unique=True,
        sqlite_where=sa.text(FIRST_GRADE),
        postgresql_where=sa.text(FIRST_GRADE),
    )


def downgrade() -> None:
    op.drop_index("uq_grades_first_grade", table_name="grades")
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_attempts_user_item")
