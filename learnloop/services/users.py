"""Accounts: create users, list them, change roles, check passwords (argon2)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from learnloop.errors import ConflictError, InvalidInputError, NotFoundError
from learnloop.storage.tables import Role, User

USERNAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}")
"""A whole username (``fullmatch``: a trailing newline is no part of a name)."""
MIN_PASSWORD = 8
_hasher = PasswordHasher()


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    role: Role
    language: str
    is_active: bool


def _info(user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        language=user.language,
        is_active=user.is_active,
    )


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        valid = ", ".join(r.value for r in Role)
        raise InvalidInputError(f"unknown role {value!r}; use one of: {valid}") from None


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInputError(
            f"the password is too short ({len(password)} characters); use at least {MIN_PASSWORD}",
            details={"password": "too short"},
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role = Role.STUDENT,
    display_name: str = "",
    language: str = "en",
) -> UserInfo:
    if not USERNAME_RE.fullmatch(username):
        raise InvalidInputError(
            f"username {username!r} is not allowed: use 2-64 letters, digits or . _ @ -, "
            "starting with a letter or digit",
            details={"username": "invalid"},
        )
    check_password_strength(password)
    if language not in ("en", "zh"):
        raise InvalidInputError(f"language {language!r} is not supported; use en or zh")
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise ConflictError(f"a user named {username!r} already exists")
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        password_hash=hash_password(password),
        language=language,
    )
    session.add(user)
    session.flush()
    return _info(user)


def get_user(session: Session, *, username: str) -> User:
    user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        raise NotFoundError(f"no user named {username!r}; see: learnloop user list")
    return user


def list_users(session: Session, *, role: Role | None = None) -> list[UserInfo]:
    query = select(User).order_by(User.username)
    if role is not None:
        query = query.where(User.role == role)
    return [_info(u) for u in session.scalars(query)]


def set_role(session: Session, *, username: str, role: Role) -> UserInfo:
    user = get_user(session, username=username)
    if user.role is Role.ADMIN and role is not Role.ADMIN:
        admins = session.scalar(
            select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.is_active)
        )
        if admins == 1:
            raise ConflictError(f"{username!r} is the last admin; make another user admin first")
    user.role = role
    session.flush()
    return _info(user)


def set_password(session: Session, *, username: str, password: str) -> None:
    check_password_strength(password)
    get_user(session, username=username).password_hash = hash_password(password)
    session.flush()
