"""learned grading: grader model registry, teachers' labels, background jobs

A course grades free-text answers with its active learned grader (or the active default);
teachers' confirmations and overrides of uncertain grades become labelled examples; training
runs as a job whose progress clients poll.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ACTIVE_DEFAULT = "active AND course_id IS NULL"


def upgrade() -> None:
    op.create_table(
        "grader_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("label_set", sa.String(length=16), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_grader_models_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_grader_models_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grader_models")),
    )
    with op.batch_alter_table("grader_models", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grader_models_course_id"), ["course_id"], unique=False)
    op.create_index(
        "uq_grader_models_active_course",
        "grader_models",
        ["course_id"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    op.create_index(
        "uq_grader_models_active_default",
        "grader_models",
        ["active"],
        unique=True,
        sqlite_where=sa.text(ACTIVE_DEFAULT),
        postgresql_where=sa.text(ACTIVE_DEFAULT),
    )

    op.create_table(
        "grading_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_grading_labels_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_grading_labels_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["users.id"],
            name=op.f("fk_grading_labels_teacher_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grading_labels")),
    )
    with op.batch_alter_table("grading_labels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_grading_labels_attempt_id"), ["attempt_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_grading_labels_item_id"), ["item_id"], unique=False)

    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "succeeded",
                "failed",
                name="job_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_jobs_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_status"))
    op.drop_table("jobs")
    with op.batch_alter_table("grading_labels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grading_labels_item_id"))
        batch_op.drop_index(batch_op.f("ix_grading_labels_attempt_id"))
    op.drop_table("grading_labels")
    op.drop_index("uq_grader_models_active_default", table_name="grader_models")
    op.drop_index("uq_grader_models_active_course", table_name="grader_models")
    with op.batch_alter_table("grader_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grader_models_course_id"))
    op.drop_table("grader_models")
