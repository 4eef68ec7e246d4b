"""Alembic environment: the engine comes from ``learnloop.storage.engine.upgrade``."""

from __future__ import annotations

from alembic import context

from learnloop.storage.tables import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - only when someone runs plain `alembic`
    from learnloop.settings import get_settings
    from learnloop.storage.engine import make_engine

    engine = make_engine(get_settings().resolved_database_url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
