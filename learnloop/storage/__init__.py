"""Storage: engines, the schema, migrations and query functions."""

from __future__ import annotations

from learnloop.storage.engine import (
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    require_current,
    session_factory,
    transaction,
    upgrade,
)

__all__ = [
    "current_revision",
    "downgrade",
    "head_revision",
    "make_engine",
    "require_current",
    "session_factory",
    "transaction",
    "upgrade",
]
