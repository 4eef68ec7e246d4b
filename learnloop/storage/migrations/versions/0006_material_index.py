"""material index: the passages of course materials, with their embeddings, for search

Importing a course splits its materials into passages (one section, a few paragraphs each)
and stores them with their keyword text and, where an embedding model is installed, their
vectors, so a restarted server searches at once without embedding anything again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "material_chunks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("material", sa.String(length=128), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("section", sa.Text(), nullable=False),
        sa.Column("anchor", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.Column("embedder", sa.String(length=64), nullable=True),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_material_chunks_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_chunks")),
    )
    with op.batch_alter_table("material_chunks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_material_chunks_course_id"), ["course_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("material_chunks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_material_chunks_course_id"))
    op.drop_table("material_chunks")
