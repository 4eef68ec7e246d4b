"""Log in and out, API tokens, password change."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, Field

from learnloop.services import auth
from learnloop.web.deps import SESSION_COOKIE, BackendDep, TokenDep, UserDep
from learnloop.web.routes.users import UserOut, user_out
from learnloop.web.types import IdPath, UtcDateTime

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    kind: Literal["session", "api"] = "session"
    """``session``: also sets the browser cookie. ``api``: a bearer token that does not expire."""


class TokenOut(BaseModel):
    id: int
    token: str
    kind: str
    expires_at: UtcDateTime | None
    user: UserOut


@router.post("/login", response_model=TokenOut, summary="Log in with a username and password")
def login(body: LoginIn, request: Request, response: Response, backend: BackendDep) -> TokenOut:
    client = request.client.host if request.client else ""
    user, issued = auth.login(
        backend, username=body.username, password=body.password, client=client, kind=body.kind
    )
    out = TokenOut(
        id=issued.id,
        token=issued.token,
        kind=issued.kind,
        expires_at=issued.expires_at,
        user=user_out(user),
    )
    if body.kind == "session":
        response.set_cookie(
            SESSION_COOKIE,
            issued.token,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            max_age=int(auth.SESSION_LIFETIME.total_seconds()),
        )
    return out


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End this login")
def logout(response: Response, backend: BackendDep, user: UserDep, token: TokenDep) -> Response:
    if token:
        with backend.transaction() as s:
            auth.revoke(s, token=token)
    response.status_code = status.HTTP_204_NO_CONTENT
    response.delete_cookie(SESSION_COOKIE)
    return response


class NewTokenIn(BaseModel):
    name: str = Field(default="", max_length=100)


class TokenInfo(BaseModel):
    id: int
    kind: str
    name: str
    created_at: UtcDateTime
    expires_at: UtcDateTime | None


@router.post("/tokens", response_model=TokenOut, status_code=201, summary="Create an API token")
def create_token(body: NewTokenIn, backend: BackendDep, user: UserDep) -> TokenOut:
    with backend.transaction() as s:
        issued = auth.issue_token(s, user=user, kind="api", name=body.name)
    return TokenOut(
        id=issued.id,
        token=issued.token,
        kind=issued.kind,
        expires_at=issued.expires_at,
        user=user_out(user),
    )


@router.get("/tokens", response_model=list[TokenInfo], summary="My active logins and tokens")
def list_tokens(backend: BackendDep, user: UserDep) -> list[TokenInfo]:
    with backend.transaction() as s:
        return [
            TokenInfo(
                id=t.id, kind=t.kind, name=t.name, created_at=t.created_at, expires_at=t.expires_at
            )
            for t in auth.list_tokens(s, user=user)
        ]


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke one of my tokens")
def revoke_token(token_id: IdPath, backend: BackendDep, user: UserDep) -> Response:
    with backend.transaction() as s:
        auth.revoke_token_id(s, user=user, token_id=token_id)
    return Response(status_code=204)


class PasswordIn(BaseModel):
    old_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


@router.post("/password", status_code=204, summary="Change my password (ends my other logins)")
def change_password(
    body: PasswordIn, backend: BackendDep, user: UserDep, token: TokenDep
) -> Response:
    auth.change_password(
        backend,
        user_id=user.id,
        old_password=body.old_password,
        new_password=body.new_password,
        keep_token=token,
    )
    return Response(status_code=204)
