"""``learnloop db``: migrate and inspect the database."""

from __future__ import annotations

import click

from learnloop.cli.base import cli, console
from learnloop.settings import get_settings
from learnloop.storage import current_revision, head_revision, make_engine, upgrade


@cli.group()
def db() -> None:
    """Create, migrate and inspect the database."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Create the database or migrate it to REVISION (default: the newest), keeping all data."""
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    before = current_revision(engine)
    upgrade(engine, revision)
    after = current_revision(engine)
    url = engine.url.render_as_string(hide_password=True)
    if before == after:
        console.print(f"database {url} is already at version {after}", markup=False)
    else:
        console.print(f"database {url} upgraded from {before or 'empty'} to {after}", markup=False)


@db.command("current")
def db_current() -> None:
    """Show the database URL, its schema version and the newest version."""
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    current = current_revision(engine)
    head = head_revision()
    console.print(f"url:     {engine.url.render_as_string(hide_password=True)}", markup=False)
    console.print(f"version: {current or 'empty (run: learnloop db upgrade)'}", markup=False)
    state = "up to date" if current == head else "upgrade needed: learnloop db upgrade"
    console.print(f"newest:  {head} ({state})", markup=False)
