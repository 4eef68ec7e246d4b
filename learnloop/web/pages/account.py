"""Logging in and out with a form, and the language switch.

The login page calls the same ``auth.login`` as ``POST /api/v1/auth/login`` and sets the same
session cookie, so pages and the API (the tutor's ``fetch`` calls) share one login.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from learnloop.errors import AuthenticationError, RateLimitedError
from learnloop.services import auth
from learnloop.web.deps import SESSION_COOKIE, BackendDep
from learnloop.web.i18n import LANGUAGE_COOKIE, LANGUAGES
from learnloop.web.pages.render import (
    PageUser,
    home_for,
    optional_user,
    redirect,
    render,
    safe_next,
)

router = APIRouter(include_in_schema=False)

MAX_FIELD = 1024


@router.get("/")
def home(request: Request) -> RedirectResponse:
    return redirect(home_for(optional_user(request)))


@router.get("/login")
def login_page(request: Request, next: str = "", bye: str = "") -> Response:
    user = optional_user(request)
    if user is not None and not bye:
        return redirect(safe_next(next, home_for(user)))
    notice = "login.bye" if bye else ("login.required" if next else "")
    return render(request, "login.html", {"next": safe_next(next, ""), "notice": notice})


@router.post("/login")
def login(
    request: Request,
    backend: BackendDep,
    username: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    password: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    next: Annotated[str, Form(max_length=2048)] = "",
) -> Response:
    def again(problem: str, status: int) -> HTMLResponse:
        context = {"next": safe_next(next, ""), "problem": problem, "username": username}
        return render(request, "login.html", context, status_code=status)

    username = username.strip()
    if not username or not password:
        return again("login.missing", 422)
    if "\x00" in username + password or len(username) > 64:
        return again("login.failed", 401)
    client = request.client.host if request.client else ""
    try:
        user, issued = auth.login(
            backend, username=username, password=password, client=client, kind="session"
        )
    except RateLimitedError:
        return again("login.rate_limited", 429)
    except AuthenticationError:
        return again("login.failed", 401)
    response = redirect(safe_next(next, home_for(user)))
    # the cookie POST /api/v1/auth/login sets
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=int(auth.SESSION_LIFETIME.total_seconds()),
    )
    # an account set to another language than the platform's default (a roster's language
    # column, say) gets it at sign-in, whatever the browser says; the switch changes it after
    if user.language in LANGUAGES and user.language != backend.settings.default_language:
        _remember_language(response, user.language)
    return response


@router.post("/logout")
def logout(request: Request, backend: BackendDep, user: PageUser) -> RedirectResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with backend.transaction() as s:
            auth.revoke(s, token=token)
    response = redirect("/login?bye=1")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/language")
def switch_language(
    lang: Annotated[str, Form(max_length=8)] = "",
    next: Annotated[str, Form(max_length=2048)] = "",
) -> RedirectResponse:
    """Remember the visitor's choice for a year; back to the page they were on."""
    response = redirect(safe_next(next, "/"))
    if lang in LANGUAGES:
        _remember_language(response, lang)
    return response


def _remember_language(response: Response, lang: str) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True
    )
