"""recommender: the forgetting model's memory on each mastery row; learning goals

Each mastery row keeps what the forgetting model needs (when the concept was last practised,
how often, its stability), updated in the same write as the estimate, so choosing the next
activity never replays a student's history. Goals are set by a student for themselves or by
a teacher for a class.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mastery", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("memory", sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
        )
    op.create_table(
        "learning_goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("concept_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("set_by", sa.Integer(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["classes.id"],
            name=op.f("fk_learning_goals_class_id_classes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["concept_id"],
            ["concepts.id"],
            name=op.f("fk_learning_goals_concept_id_concepts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_learning_goals_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["set_by"], ["users.id"], name=op.f("fk_learning_goals_set_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_learning_goals_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_goals")),
        sa.UniqueConstraint("course_id", "class_id", name="uq_learning_goals_course_class"),
        sa.UniqueConstraint("course_id", "user_id", name="uq_learning_goals_course_user"),
    )
    with op.batch_alter_table("learning_goals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_learning_goals_class_id"), ["class_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_learning_goals_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_learning_goals_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("learning_goals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learning_goals_user_id"))
        batch_op.drop_index(batch_op.f("ix_learning_goals_course_id"))
        batch_op.drop_index(batch_op.f("ix_learning_goals_class_id"))
    op.drop_table("learning_goals")
    with op.batch_alter_table("mastery", schema=None) as batch_op:
        batch_op.drop_column("memory")
