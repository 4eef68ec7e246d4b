"""Accounts: who am I; admins list, create and change users."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from learnloop.services import users
from learnloop.services.access import require_role
from learnloop.storage.tables import Role, User
from learnloop.web.deps import BackendDep, UserDep

router = APIRouter(tags=["users"])

RoleName = Literal["admin", "teacher", "student"]


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: RoleName
    language: str


def user_out(user: User | users.UserInfo) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role.value,
        language=user.language,
    )


@router.get("/me", response_model=UserOut, summary="The logged-in user")
def me(user: UserDep) -> UserOut:
    return user_out(user)


@router.get("/users", response_model=list[UserOut], summary="All users (admin)")
def list_users(backend: BackendDep, user: UserDep, role: RoleName | None = None) -> list[UserOut]:
    require_role(user, Role.ADMIN)
    with backend.transaction() as s:
        return [user_out(u) for u in users.list_users(s, role=Role(role) if role else None)]


class NewUserIn(BaseModel):
    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    role: RoleName = "student"
    display_name: str = Field(default="", max_length=200)
    language: Literal["en", "zh"] = "en"


@router.post("/users", response_model=UserOut, status_code=201, summary="Create a user (admin)")
def create_user(body: NewUserIn, backend: BackendDep, user: UserDep) -> UserOut:
    require_role(user, Role.ADMIN)
    with backend.transaction() as s:
        info = users.create_user(
            s,
            username=body.username,
            password=body.password,
            role=Role(body.role),
            display_name=body.display_name,
            language=body.language,
        )
    return user_out(info)


class RoleIn(BaseModel):
    role: RoleName


@router.put("/users/{username}/role", response_model=UserOut, summary="Change a role (admin)")
def set_role(username: str, body: RoleIn, backend: BackendDep, user: UserDep) -> UserOut:
    require_role(user, Role.ADMIN)
    with backend.transaction() as s:
        return user_out(users.set_role(s, username=username, role=Role(body.role)))
