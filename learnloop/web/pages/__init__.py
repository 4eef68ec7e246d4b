"""The web pages: server-rendered HTML for people, beside the JSON API for programs.

``install(app)`` adds the student pages, the shared frame (login, language, error pages,
static files, plotly.js) and their routes. Page modules for other roles (the teacher pages)
build on ``render`` (``render``, ``PageUser``, ``Language``, ``add_nav_link``) and
``i18n.add_messages``, and are installed the same way: ``app.include_router(module.router)``.
See ``docs/web-ui.md``.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from learnloop.web.deps import refuse_nul_characters
from learnloop.web.pages import account, assets, courses, items, progress, teach
from learnloop.web.pages.errors import install_error_pages
from learnloop.web.pages.render import (
    HOME_BY_ROLE,
    STATIC_DIR,
    Language,
    LoginRequired,
    PageUser,
    add_nav_link,
    redirect,
    render,
)

__all__ = [
    "HOME_BY_ROLE",
    "Language",
    "LoginRequired",
    "PageUser",
    "add_nav_link",
    "install",
    "redirect",
    "render",
]

ROUTERS = (
    account.router,
    assets.router,
    courses.router,
    items.router,
    progress.router,
    teach.router,
)


def install(app: FastAPI) -> None:
    """Add the pages to ``app``; after ``web.errors.install_error_handlers``."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(refuse_nul_characters)])
    install_error_pages(app)
