"""What every page shares: the templates, the visitor's language, the logged-in user, the
navigation, and ``render``, which fills the base layout's slots.

A page handler is a plain ``def`` (FastAPI runs it in its thread pool, so the services' database
calls do not block the server), takes ``user: PageUser`` if it needs a login, calls the same
services as the JSON API, and returns ``render(request, "x.html", {...}, user=user)``. See the
top of ``templates/base.html`` and ``docs/web-ui.md``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from learnloop import __version__
from learnloop.domain import pick
from learnloop.errors import AuthenticationError
from learnloop.services import Backend
from learnloop.storage.tables import Role, User
from learnloop.web.deps import SESSION_COOKIE, BackendDep, current_user
from learnloop.web.i18n import LANGUAGE_COOKIE, LANGUAGES, choose_language, translate

WEB_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True

SECURITY_HEADERS = {
    # scripts only from this server (the pages' data travels as JSON, never as inline script);
    # plotly sets inline styles on the charts it draws
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # pages hold a student's own data: not kept by the browser or a proxy after logout
    "Cache-Control": "no-store",
    "Vary": "Cookie, Accept-Language",
}


# --- language ------------------------------------------------------------------------------


def page_language(request: Request) -> str:
    """The visitor's language (see ``i18n``); worked out once per request."""
    found = getattr(request.state, "language", None)
    if found is None:
        backend: Backend = request.app.state.backend
        found = choose_language(
            request.cookies.get(LANGUAGE_COOKIE),
            request.headers.get("accept-language"),
            backend.settings.default_language,
        )
        request.state.language = found
    return str(found)


async def _language(request: Request) -> str:  # no I/O: no trip to the thread pool
    return page_language(request)


Language = Annotated[str, Depends(_language)]


# --- who is logged in ----------------------------------------------------------------------


class LoginRequired(Exception):
    """A page needs a login: a GET is sent to the login page (and back afterwards), anything
    else gets the 401 page (``pages.errors``)."""


def page_user(request: Request, backend: BackendDep) -> User:
    """The user of the session cookie (the one ``POST /api/v1/auth/login`` and the login
    page set), checked by the API's own dependency."""
    try:
        user = current_user(backend, request.cookies.get(SESSION_COOKIE))
    except AuthenticationError:
        raise LoginRequired from None
    request.state.user = user
    return user


PageUser = Annotated[User, Depends(page_user)]


def optional_user(request: Request) -> User | None:
    """The logged-in user if there is one (error pages show the navigation then)."""
    found = getattr(request.state, "user", None)
    if isinstance(found, User):
        return found
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return current_user(request.app.state.backend, token)
    except Exception:  # an error page must render whatever is wrong with the login
        return None


def login_url(next_path: str | None = None) -> str:
    return f"/login?next={quote(next_path, safe='/')}" if next_path else "/login"


def safe_next(next_path: str | None, default: str = "/") -> str:
    """Where to go after logging in: a path on this site only (no ``//host``, no scheme)."""
    if not next_path or not next_path.startswith("/") or next_path.startswith("//"):
        return default
    if "\\" in next_path or any(ord(c) < 32 for c in next_path):
        return default
    return next_path


# --- navigation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NavLink:
    label: str
    """An ``i18n`` key."""
    href: str
    roles: frozenset[Role] | None = None
    """Who sees it (admins see everything); ``None``: every logged-in user."""
    prefix: str = ""
    """Paths under this prefix mark the link as the current page (default: ``href``)."""


NAV_LINKS: list[NavLink] = [NavLink("nav.courses", "/courses")]

HOME_BY_ROLE: dict[Role, str] = {}
"""Where ``/`` and a login without ``next`` lead, by role; ``/courses`` otherwise. The
teacher pages set their own."""


def add_nav_link(
    label: str, href: str, *, roles: set[Role] | None = None, prefix: str = ""
) -> None:
    """Add a link to the header's navigation (once, at import of a page module)."""
    link = NavLink(label, href, frozenset(roles) if roles else None, prefix)
    if link not in NAV_LINKS:
        NAV_LINKS.append(link)


def home_for(user: User | None) -> str:
    if user is None:
        return "/login"
    return HOME_BY_ROLE.get(user.role, "/courses")


def _nav(user: User | None, path: str) -> list[dict[str, Any]]:
    if user is None:
        return []
    out = []
    for link in NAV_LINKS:
        if link.roles is not None and user.role is not Role.ADMIN and user.role not in link.roles:
            continue
        prefix = link.prefix or link.href
        out.append({"label": link.label, "href": link.href, "current": path.startswith(prefix)})
    return out


# --- rendering -----------------------------------------------------------------------------


def static_url(name: str) -> str:
    """``/static/<name>?v=<mtime>``: a changed file gets a new URL, so no browser keeps an
    old copy."""
    try:
        stamp = int((STATIC_DIR / name).stat().st_mtime)
    except OSError:
        stamp = 0
    return f"/static/{name}?v={stamp}"


def percent(value: float | None) -> str:
    """0.4213 -> ``42%``; ``None`` -> an en dash."""
    return "–" if value is None else f"{round(value * 100)}%"


def shuffled(values: list[Any], seed: str) -> list[Any]:
    """``values`` in an order fixed by ``seed``: the same student sees the same order."""
    out = list(values)
    random.Random(seed).shuffle(out)
    return out


templates.env.globals.update(percent=percent, static=static_url)  # for macros too


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    user: User | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The page ``template`` (which extends ``base.html``) in the visitor's language.

    Besides ``context`` a template sees: ``t`` (texts, ``t("key", name=...)``), ``lang``,
    ``pick`` (a course's localized text in ``lang``), ``percent``, ``user``, ``nav``,
    ``languages``, ``current_url`` (for the language switch to come back to), ``static``
    (``static_url``), ``plotly_js`` and ``version``."""
    lang = page_language(request)
    query = f"?{request.url.query}" if request.url.query else ""
    ctx: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "t": partial(translate, lang),
        "pick": _picker(lang),
        "percent": percent,
        "user": user,
        "nav": _nav(user, request.url.path),
        "languages": LANGUAGES,
        "current_url": request.url.path + query,
        "static": static_url,
        "plotly_js": "/vendor/plotly.min.js?v=" + _plotly_version(),
        "version": __version__,
    }
    ctx.update(context or {})
    response = templates.TemplateResponse(
        request, template, ctx, status_code=status_code, headers={**SECURITY_HEADERS}
    )
    response.headers["Content-Language"] = "zh-Hans" if lang == "zh" else lang
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _picker(lang: str) -> Callable[[dict[str, str] | None], str]:
    return lambda text: pick(text, lang)


def _plotly_version() -> str:
    from learnloop.web.pages.assets import plotly_version

    return plotly_version()


def redirect(url: str) -> RedirectResponse:
    """See other (303): after a form, the browser GETs ``url``."""
    return RedirectResponse(url, status_code=303)
