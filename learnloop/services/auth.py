"""Logins, sessions, API tokens and password changes.

Tokens are random 256-bit strings; only their SHA-256 is stored, so a database leak does not
leak logins. Failed logins are counted per account and client to slow down password guessing
without letting anyone lock an account's owner out (``login``).
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
"""Wrong passwords for one account from one client before it waits ``FAILED_LOGIN_WINDOW``."""
ACCOUNT_FAILURE_LIMIT = 50
"""Wrong passwords for one account from all clients together."""
CLIENT_FAILURE_LIMIT = 30
"""Wrong passwords from one client over all accounts."""
FAILED_LOGIN_WINDOW = timedelta(minutes=15)
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
"""What an unknown username's password is checked against: the same work as a real one."""
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


def _failures(s: Session, *, since: datetime, **match: str) -> int:
    conditions = [LoginAttemptRow.success.is_(False), LoginAttemptRow.at >= since]
    conditions += [getattr(LoginAttemptRow, column) == value for column, value in match.items()]
    return int(s.scalar(select(func.count()).select_from(LoginAttemptRow).where(*conditions)) or 0)


def _refuse_if_limited(s: Session, *, key: str, client: str, username: str) -> None:
    """Three limits over ``FAILED_LOGIN_WINDOW``: this account from this client (what stops
    guessing without letting a stranger lock the owner out from their own machine), this
    account from anywhere (guessing spread over many machines; a far higher bar), and this
    client on any account (one machine trying many accounts)."""
    since = _now() - FAILED_LOGIN_WINDOW
    minutes = int(FAILED_LOGIN_WINDOW.total_seconds() // 60)
    limited = (
        _failures(s, since=since, username=key, client=client) > FAILED_LOGIN_LIMIT
        or _failures(s, since=since, username=key) > ACCOUNT_FAILURE_LIMIT
        or (client != "" and _failures(s, since=since, client=client) > CLIENT_FAILURE_LIMIT)
    )
    if limited:
        raise RateLimitedError(
            f"too many failed logins for {username!r}; wait {minutes} minutes and try again",
            retry_after=int(FAILED_LOGIN_WINDOW.total_seconds()),
        )


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

    The attempt is stored as failed *before* the limits are counted and the password is
    checked, and marked a success only after: two requests racing each other both count,
    so no number of parallel guesses gets past a limit. An unknown username costs the same
    password hash as a known one (its timing tells nothing), and the refusal is the same.
    Takes the backend rather than a session because a failed login must be recorded even
    though the login itself fails.
    """
    key = username.lower()[:64]
    client = client[:64]
    with backend.transaction() as s:
        attempt = LoginAttemptRow(username=key, client=client, success=False)
        s.add(attempt)
        s.flush()
        attempt_id = attempt.id
    with backend.transaction() as s:
        _refuse_if_limited(s, key=key, client=client, username=username)
        user = s.scalar(select(User).where(func.lower(User.username) == key))
        known = user is not None and user.is_active
        ok = verify_password(user.password_hash if known and user else _DUMMY_HASH, password)
        if ok and known and user is not None:
            s.execute(
                update(LoginAttemptRow).where(LoginAttemptRow.id == attempt_id).values(success=True)
            )
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
    backend: Backend, *, user_id: int, old_password: str, new_password: str, keep_token: str | None
) -> None:
    """Set a new password and end every other login of the user. The current password is
    limited like a login (``FAILED_LOGIN_LIMIT`` wrong ones per window): a stolen session
    cannot guess its way to the account's password."""
    check_password_strength(new_password)  # a weak new password is no wrong guess
    key = f"#password:{user_id}"
    with backend.transaction() as s:  # stored first, so racing guesses all count
        attempt = LoginAttemptRow(username=key, client="", success=False)
        s.add(attempt)
        s.flush()
        attempt_id = attempt.id
    with backend.transaction() as s:
        if _failures(s, since=_now() - FAILED_LOGIN_WINDOW, username=key) > FAILED_LOGIN_LIMIT:
            raise RateLimitedError(
                "too many wrong current passwords; wait "
                f"{int(FAILED_LOGIN_WINDOW.total_seconds() // 60)} minutes and try again",
                retry_after=int(FAILED_LOGIN_WINDOW.total_seconds()),
            )
        user = s.get(User, user_id)
        if user is None or not verify_password(user.password_hash, old_password):
            raise AuthenticationError("the current password is wrong")
        user.password_hash = hash_password(new_password)
        s.execute(
            update(LoginAttemptRow).where(LoginAttemptRow.id == attempt_id).values(success=True)
        )
        end_logins(s, user_id=user.id, keep_token=keep_token)


def end_logins(session: Session, *, user_id: int, keep_token: str | None = None) -> int:
    """Revoke every login and API token of the user but ``keep_token``; how many."""
    keep = _hash(keep_token) if keep_token else ""
    session.flush()
    done = session.connection().execute(
        update(TokenRow)
        .where(
            TokenRow.user_id == user_id,
            TokenRow.revoked_at.is_(None),
            TokenRow.token_hash != keep,
        )
        .values(revoked_at=_now())
    )
    return int(done.rowcount or 0)
