"""Accounts: creation rules, password hashing, roles."""

from __future__ import annotations

import pytest

from learnloop.errors import ConflictError, InvalidInputError, NotFoundError
from learnloop.services import Backend, users
from learnloop.storage.tables import Role


def test_passwords_are_hashed_and_verified(backend: Backend) -> None:
    with backend.transaction() as s:
        users.create_user(s, username="ana", password="correct horse")
        row = users.get_user(s, username="ANA")
    assert row.password_hash and "correct horse" not in row.password_hash
    assert row.password_hash.startswith("$argon2")
    assert users.verify_password(row.password_hash, "correct horse")
    assert not users.verify_password(row.password_hash, "wrong horse")


def test_bad_accounts_are_refused_with_a_reason(backend: Backend) -> None:
    with backend.transaction() as s:
        users.create_user(s, username="ana", password="password1")
    with pytest.raises(ConflictError, match="already exists"), backend.transaction() as s:
        users.create_user(s, username="Ana", password="password1")
    with pytest.raises(InvalidInputError, match="too short"), backend.transaction() as s:
        users.create_user(s, username="bob", password="short")
    with pytest.raises(InvalidInputError, match="not allowed"), backend.transaction() as s:
        users.create_user(s, username="bad name!", password="password1")
    for name in ("carl\n", "carl\r\n", "\ncarl"):  # a newline is no part of a name
        with pytest.raises(InvalidInputError, match="not allowed"), backend.transaction() as s:
            users.create_user(s, username=name, password="password1")


def test_roles_change_but_the_last_admin_stays(backend: Backend) -> None:
    with backend.transaction() as s:
        users.create_user(s, username="root", password="password1", role=Role.ADMIN)
        users.create_user(s, username="tea", password="password1")
        assert users.set_role(s, username="tea", role=Role.TEACHER).role is Role.TEACHER
        assert [u.username for u in users.list_users(s, role=Role.TEACHER)] == ["tea"]
    with pytest.raises(ConflictError, match="last admin"), backend.transaction() as s:
        users.set_role(s, username="root", role=Role.STUDENT)
    with pytest.raises(NotFoundError, match="no user named 'ghost'"), backend.transaction() as s:
        users.set_role(s, username="ghost", role=Role.ADMIN)
