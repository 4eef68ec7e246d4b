"""The database schema (SQLAlchemy 2). Alembic migrations in ``migrations/`` must match it;
``tests/storage/test_migrations.py`` fails if they drift apart."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Role(StrEnum):
    ADMIN = "admin"
    TEACHER = "teacher"
    STUDENT = "student"


class ReviewStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    OVERRIDDEN = "overridden"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def _enum(cls: type[StrEnum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        length=32,
        validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
    )


Timestamp = DateTime(timezone=True)


# --- people and classes -------------------------------------------------------------------


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), default=Role.STUDENT)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(8), default="en")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class SchoolClass(Base):
    __tablename__ = "classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Enrolment(Base):
    """A user in a class, as its teacher or as a student."""

    __tablename__ = "enrolments"

    class_id: Mapped[int] = mapped_column(
        ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(_enum(Role, "enrolment_role"), default=Role.STUDENT)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class ClassCourse(Base):
    __tablename__ = "class_courses"

    class_id: Mapped[int] = mapped_column(
        ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )


# --- course content -----------------------------------------------------------------------


class CourseRow(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    title: Mapped[dict[str, Any]] = mapped_column(default=dict)
    description: Mapped[dict[str, Any]] = mapped_column(default=dict)
    languages: Mapped[list[Any]] = mapped_column(default=list)
    version: Mapped[str] = mapped_column(String(64), default="1")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)

    concepts: Mapped[list[ConceptRow]] = relationship(
        back_populates="course", order_by="ConceptRow.position", cascade="all, delete-orphan"
    )
    items: Mapped[list[ItemRow]] = relationship(
        back_populates="course", order_by="ItemRow.position", cascade="all, delete-orphan"
    )
    materials: Mapped[list[MaterialRow]] = relationship(
        back_populates="course", order_by="MaterialRow.position", cascade="all, delete-orphan"
    )


class ConceptRow(Base):
    __tablename__ = "concepts"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(128))
    name: Mapped[dict[str, Any]] = mapped_column(default=dict)
    description: Mapped[dict[str, Any]] = mapped_column(default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    """No longer in the course pack: hidden from students, kept for their history."""

    course: Mapped[CourseRow] = relationship(back_populates="concepts")


class PrerequisiteRow(Base):
    """``concept_id`` needs ``prerequisite_id`` first."""

    __tablename__ = "concept_prerequisites"

    concept_id: Mapped[int] = mapped_column(
        ForeignKey("concepts.id", ondelete="CASCADE"), primary_key=True
    )
    prerequisite_id: Mapped[int] = mapped_column(
        ForeignKey("concepts.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class ItemRow(Base):
    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(32))
    prompt: Mapped[dict[str, Any]] = mapped_column(default=dict)
    answer: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reference_answers: Mapped[list[Any]] = mapped_column(default=list)
    rubric: Mapped[list[Any]] = mapped_column(default=list)
    hints: Mapped[list[Any]] = mapped_column(default=list)
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    difficulty: Mapped[float] = mapped_column(Float, default=0.5)
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)

    course: Mapped[CourseRow] = relationship(back_populates="items")


class ItemConceptRow(Base):
    __tablename__ = "item_concepts"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    concept_id: Mapped[int] = mapped_column(
        ForeignKey("concepts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class MaterialRow(Base):
    __tablename__ = "materials"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(128))
    title: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    order: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)

    course: Mapped[CourseRow] = relationship(back_populates="materials")


class MaterialConceptRow(Base):
    __tablename__ = "material_concepts"

    material_id: Mapped[int] = mapped_column(
        ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True
    )
    concept_id: Mapped[int] = mapped_column(
        ForeignKey("concepts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class MaterialChunkRow(Base):
    """A passage of a material as the material search indexes it (``services.retrieval``).

    Rebuilt whole when the course is imported or ``learnloop material reindex`` runs; every
    row of one build carries the same ``indexed_at``, which versions the search index that
    server processes keep in memory.
    """

    __tablename__ = "material_chunks"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    material: Mapped[str] = mapped_column(String(128))
    """The material's key (``MaterialRow.key``)."""
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(Text, default="")
    section: Mapped[str] = mapped_column(Text, default="")
    """Heading path, ``Adding fractions › Same denominator``."""
    anchor: Mapped[str] = mapped_column(Text, default="")
    """Fragment id of the section's heading, to link to ``material#anchor``."""
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    """float32 vector (little-endian bytes) from ``embedder``; NULL: keywords only."""
    embedder: Mapped[str | None] = mapped_column(String(64))
    indexed_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


# --- learning records ---------------------------------------------------------------------


class AttemptRow(Base):
    """One answer, as submitted. Append-only: a database trigger refuses updates."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        Index("ix_attempts_user_submitted", "user_id", "submitted_at"),
        Index("ix_attempts_user_item", "user_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    response: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """``{"value": <str or list of str>}`` exactly as submitted."""
    language: Mapped[str] = mapped_column(String(8), default="en")
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    hints_used: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class GradeRow(Base):
    """A grade of an attempt. A teacher's override adds a new grade that supersedes the old."""

    __tablename__ = "grades"
    __table_args__ = (
        # an answer gets one first grade, however many retries race to grade it
        Index(
            "uq_grades_first_grade",
            "attempt_id",
            unique=True,
            sqlite_where=text("supersedes_id IS NULL"),
            postgresql_where=text("supersedes_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), index=True
    )
    verdict: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    feedback: Mapped[str] = mapped_column(Text, default="")
    grader: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("grades.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class MasteryRow(Base):
    """The current estimate of one student's mastery of one concept."""

    __tablename__ = "mastery"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    concept_id: Mapped[int] = mapped_column(
        ForeignKey("concepts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    p_mastery: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The tracing model's own per-student state for this concept."""
    model: Mapped[str] = mapped_column(String(64), default="")
    memory: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    """The forgetting model's memory of the concept (``recommend.forgetting``): when it was
    last practised, how often, and what the model needs to predict recall."""
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class GoalRow(Base):
    """A goal concept in a course, set by a student for themselves (``user_id``) or by a
    teacher for a class (``class_id``); a student's own goal wins over their class's."""

    __tablename__ = "learning_goals"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id", name="uq_learning_goals_course_user"),
        UniqueConstraint("course_id", "class_id", name="uq_learning_goals_course_class"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    concept_id: Mapped[int] = mapped_column(ForeignKey("concepts.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    class_id: Mapped[int | None] = mapped_column(
        ForeignKey("classes.id", ondelete="CASCADE"), index=True
    )
    set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class ReviewRow(Base):
    """A provisional grade waiting for, or decided by, a teacher."""

    __tablename__ = "review_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    grade_id: Mapped[int] = mapped_column(ForeignKey("grades.id", ondelete="CASCADE"), unique=True)
    status: Mapped[ReviewStatus] = mapped_column(
        _enum(ReviewStatus, "review_status"), default=ReviewStatus.PENDING, index=True
    )
    reason: Mapped[str] = mapped_column(String(200), default="")
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    final_grade_id: Mapped[int | None] = mapped_column(ForeignKey("grades.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(Timestamp)


# --- learned grading ----------------------------------------------------------------------


class GraderModelRow(Base):
    """A saved free-text grader (a model directory under ``data_dir``) and how it measured.

    A course uses its own active model, else the active default (``course_id`` NULL); at most
    one model is active per course and one default, which the partial unique index enforces
    even against two activations racing each other.
    """

    __tablename__ = "grader_models"
    __table_args__ = (
        # NULLs never clash in a unique index, so the default model has an index of its own
        Index(
            "uq_grader_models_active_course",
            "course_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
        Index(
            "uq_grader_models_active_default",
            "active",
            unique=True,
            sqlite_where=text("active AND course_id IS NULL"),
            postgresql_where=text("active AND course_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    """``tfidf``, ``cross-encoder`` or another of ``grading.learned.ALL_GRADERS``."""
    path: Mapped[str] = mapped_column(String(500))
    """The model directory, relative to ``data_dir``, so a moved data folder keeps working."""
    label_set: Mapped[str | None] = mapped_column(String(16))
    """``2way``, ``3way``, ``5way``; NULL for a grader that predicts scores."""
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Held-out scores (this model's and, after a retraining, the model it was compared
    with), training sizes and the reason it was or was not activated."""
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class GradingLabelRow(Base):
    """A teacher's decision on an answer, kept as a labelled example for the next training."""

    __tablename__ = "grading_labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    answer: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="en")
    label: Mapped[str] = mapped_column(String(32))
    """The teacher's verdict: ``correct``, ``partially_correct`` or ``incorrect``."""
    score: Mapped[float] = mapped_column(Float)
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(16))
    """``confirm`` (the machine grade was right) or ``override``."""
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class JobRow(Base):
    """Background work (training a grader) and how far it got, for whoever waits on it."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[JobStatus] = mapped_column(
        _enum(JobStatus, "job_status"), default=JobStatus.QUEUED, index=True
    )
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    """Moves with every progress report: a running job whose clock stopped has died."""
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp)


# --- tutor --------------------------------------------------------------------------------


class ConversationRow(Base):
    __tablename__ = "tutor_conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class MessageRow(Base):
    __tablename__ = "tutor_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("tutor_conversations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(32), default="answer")
    content: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[Any]] = mapped_column(default=list)
    model: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class RatingRow(Base):
    __tablename__ = "tutor_ratings"
    __table_args__ = (UniqueConstraint("message_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("tutor_messages.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    helpful: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


# --- authentication -----------------------------------------------------------------------


class TokenRow(Base):
    """A login: a browser session (cookie) or an API token (bearer). Only a hash is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="session")
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)


class LoginAttemptRow(Base):
    """Failed and successful logins, for rate limiting and audit."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64), default="")
    success: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
