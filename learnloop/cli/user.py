"""``learnloop user``: accounts and roles."""

from __future__ import annotations

import sys

import click

from learnloop.cli.base import cli, console
from learnloop.services import Backend
from learnloop.services import users as user_service
from learnloop.storage.tables import Role

ROLES = [r.value for r in Role]


@cli.group()
def user() -> None:
    """Add users, list them and change their roles."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="student", show_default=True)
@click.option("--name", "display_name", default="", help="Display name (default: the username).")
@click.option("--language", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (for scripts)."
)
def add(username: str, role: str, display_name: str, language: str, password_stdin: bool) -> None:
    """Create the account USERNAME; asks for its password unless --password-stdin."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    backend = Backend.open()
    with backend.transaction() as session:
        info = user_service.create_user(
            session,
            username=username,
            password=password,
            role=Role(role),
            display_name=display_name,
            language=language,
        )
    console.print(f"created {info.role.value} {info.username!r} (id {info.id})", markup=False)


@user.command("list")
@click.option("--role", type=click.Choice(ROLES), default=None, help="Only users with this role.")
def list_(role: str | None) -> None:
    """List accounts with their roles."""
    backend = Backend.open()
    with backend.transaction() as session:
        rows = user_service.list_users(session, role=Role(role) if role else None)
    if not rows:
        console.print("no users yet; add one with: learnloop user add NAME --role admin")
    for u in rows:
        state = "" if u.is_active else " (inactive)"
        console.print(f"{u.username:<24} {u.role.value:<8} {u.display_name}{state}", markup=False)


@user.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
def set_role(username: str, role: str) -> None:
    """Give USERNAME the role ROLE (admin, teacher or student)."""
    backend = Backend.open()
    with backend.transaction() as session:
        info = user_service.set_role(session, username=username, role=Role(role))
    console.print(f"{info.username!r} is now {info.role.value}", markup=False)
