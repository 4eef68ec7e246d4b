"""Request dependencies: the backend, the logged-in user, and a guard against NUL characters."""

from __future__ import annotations

import json
from collections import deque
from contextlib import suppress
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from learnloop.errors import AuthenticationError, InvalidInputError
from learnloop.services import Backend
from learnloop.services.auth import authenticate
from learnloop.storage.tables import User

SESSION_COOKIE = "learnloop_session"
_bearer = HTTPBearer(auto_error=False, description="An API token from POST /api/v1/auth/tokens")


# Dependencies that do no I/O are ``async def``: FastAPI runs a plain ``def`` dependency in
# its thread pool, and the hop costs more than the work.


async def get_backend(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


async def request_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str | None:
    if credentials is not None and credentials.credentials:
        return credentials.credentials
    return request.cookies.get(SESSION_COOKIE)


def current_user(
    backend: Annotated[Backend, Depends(get_backend)],
    token: Annotated[str | None, Depends(request_token)],
) -> User:
    if not token:
        raise AuthenticationError(
            "not logged in: send 'Authorization: Bearer <token>' "
            "or log in at POST /api/v1/auth/login"
        )
    with backend.transaction() as s:
        user = authenticate(s, token=token)
        s.expunge(user)
    return user


def _nul_fields(document: Any) -> list[str]:
    """Where text in a JSON body holds a NUL character, as dotted paths (``body.name``).
    A loop, not recursion, so that deep nesting cannot exhaust the stack."""
    found: list[str] = []
    todo: deque[tuple[str, Any]] = deque([("body", document)])
    while todo:
        where, value = todo.popleft()
        if isinstance(value, str) and "\x00" in value:
            found.append(where)
        elif isinstance(value, dict):
            found += [where for key in value if "\x00" in key]
            todo.extend((f"{where}.{key}", item) for key, item in value.items())
        elif isinstance(value, list):
            todo.extend((f"{where}.{index}", item) for index, item in enumerate(value))
    return found


async def refuse_nul_characters(request: Request) -> None:
    """PostgreSQL can neither store nor compare text holding a NUL character, so such input
    is refused up front, with the field named, on every database alike."""
    fields = [f"path.{k}" for k, v in request.path_params.items() if "\x00" in str(v)]
    fields += [f"query.{k}" for k, v in request.query_params.multi_items() if "\x00" in k + v]
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        body = await request.body()
        if b"\\u0000" in body:
            with suppress(ValueError):  # not JSON: FastAPI's own validation says so
                fields += _nul_fields(json.loads(body))
    elif content_type.startswith("text/") and b"\x00" in await request.body():
        fields.append("body")
    if fields:
        raise InvalidInputError(
            f"invalid input in {', '.join(dict.fromkeys(fields))}: text may not contain NUL "
            "(\\x00) characters",
            details={f: "text may not contain NUL (\\x00) characters" for f in fields},
        )


BackendDep = Annotated[Backend, Depends(get_backend)]
UserDep = Annotated[User, Depends(current_user)]
TokenDep = Annotated[str | None, Depends(request_token)]
