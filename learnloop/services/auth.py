"""Logins, sessions, API tokens and password changes.

Tokens are random 256-bit strings; only their SHA-256 is stored, so a database leak does not
leak logins. Failed logins are counted per username to slow down password guessing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from learnloop.errors import AuthenticationError, NotFoundError, RateLimitedError
from learnloop.services.context import Backend
from learnloop.services.users import check_password_strength, hash_password, verify_password
from learnloop.storage.tables import LoginAttemptRow, TokenRow, User

SESSION_LIFETIME = timedelta(days=14)
FAILED_LOGIN_LIMIT = 5
FAILED_LOGIN_WINDOW = timedelta(minutes=15)
TOKEN_KINDS = ("session", "api")


@dataclass(frozen=True)
class IssuedToken:
    id: int
    token: str
    """Shown once; only its hash is kept."""
    kind: str
    expires_at: datetime | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def issue_token(
    session: Session, *, user: User, kind: str = "session", name: str = ""
) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    expires = _now() + SESSION_LIFETIME if kind == "session" else None
    row = TokenRow(
        user_id=user.id, token_hash=_hash(token), kind=kind, name=name[:100], expires_at=expires
    )
    session.add(row)
    session.flush()
    return IssuedToken(id=row.id, token=token, kind=kind, expires_at=expires)


def login(
    backend: Backend,
    *,
    username: str,
    password: str,
    client: str = "",
    kind: str = "session",
    name: str = "",
) -> tuple[User, IssuedToken]:
    """Check the password and issue a token; refuse for a while after repeated failures.

    Takes the backend rather than a session because a failed login must be recorded even
    though the login itself fails.
    """
    key = username.lower()[:64]
    with backend.transaction() as s:
        since = _now() - FAILED_LOGIN_WINDOW
        failures = (
            s.scalar(
                select(func.count())
                .select_from(LoginAttemptRow)
                .where(
                    LoginAttemptRow.username == key,
                    LoginAttemptRow.success.is_(False),
                    LoginAttemptRow.at >= since,
                )
            )
            or 0
        )
        if failures >= FAILED_LOGIN_LIMIT:
            raise RateLimitedError(
                f"too many failed logins for {username!r}; wait "
                f"{int(FAILED_LOGIN_WINDOW.total_seconds() // 60)} minutes and try again",
                retry_after=int(FAILED_LOGIN_WINDOW.total_seconds()),
            )
        user = s.scalar(select(User).where(func.lower(User.username) == key))
        ok = user is not None and user.is_active and verify_password(user.password_hash, password)
        s.add(LoginAttemptRow(username=key, client=client[:64], success=ok))
        if ok and user is not None:
            issued = issue_token(s, user=user, kind=kind, name=name)
            s.flush()
            s.expunge(user)
            return user, issued
    raise AuthenticationError("wrong username or password")


# Every request runs this: one prepared statement (building a select costs more than running it).
_TOKEN_USER = (
    select(User, TokenRow.expires_at, TokenRow.revoked_at)
    .join(TokenRow, TokenRow.user_id == User.id)
    .where(TokenRow.token_hash == bindparam("token_hash"))
)


def authenticate(session: Session, *, token: str) -> User:
    """The user a token belongs to, if it is valid, unexpired and not revoked."""
    found = session.execute(_TOKEN_USER, {"token_hash": _hash(token)}).first()
    if found is None or found.revoked_at is not None:
        raise AuthenticationError("not logged in, or the login has ended; log in again")
    user, expires_at, _ = found
    if expires_at is not None and _aware(expires_at) < _now():
        raise AuthenticationError("the session has expired; log in again")
    if not user.is_active:
        raise AuthenticationError("this account is disabled; ask an administrator")
    return user


def revoke(session: Session, *, token: str) -> None:
    session.execute(
        update(TokenRow)
        .where(TokenRow.token_hash == _hash(token), TokenRow.revoked_at.is_(None))
        .values(revoked_at=_now())
    )


def revoke_token_id(session: Session, *, user: User, token_id: int) -> None:
    row = session.get(TokenRow, token_id)
    if row is None or row.user_id != user.id:
        raise NotFoundError(f"no token with id {token_id}")
    if row.revoked_at is None:
        row.revoked_at = _now()
    session.flush()


def list_tokens(session: Session, *, user: User) -> list[TokenRow]:
    return list(
        session.scalars(
            select(TokenRow)
            .where(TokenRow.user_id == user.id, TokenRow.revoked_at.is_(None))
            .order_by(TokenRow.id)
        )
    )


def change_password(
    session: Session, *, user: User, old_password: str, new_password: str, keep_token: str | None
) -> None:
    """Set a new password and end every other login of the user."""
    if not verify_password(user.password_hash, old_password):
        raise AuthenticationError("the current password is wrong")
    check_password_strength(new_password)
    user.password_hash = hash_password(new_password)
    keep = _hash(keep_token) if keep_token else ""
    session.execute(
        update(TokenRow)
        .where(
            TokenRow.user_id == user.id, TokenRow.revoked_at.is_(None), TokenRow.token_hash != keep
        )
        .values(revoked_at=_now())
    )
    session.flush()
