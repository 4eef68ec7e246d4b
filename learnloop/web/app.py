"""The FastAPI application: JSON API under /api/v1, docs at /docs, pages for people at /."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline

from learnloop import __version__
from learnloop.errors import LearnloopError
from learnloop.services.context import Backend
from learnloop.services.tutor import Tutor
from learnloop.tutor.chat import ChatModel
from learnloop.web import pages
from learnloop.web.deps import refuse_nul_characters
from learnloop.web.errors import ERROR_RESPONSES, install_error_handlers
from learnloop.web.routes import (
    analytics,
    attempts,
    auth,
    classes,
    courses,
    grader,
    meta,
    recommend,
    review,
    tutor,
    users,
)

log = logging.getLogger(__name__)
_FROM_SETTINGS: Any = object()

API_PREFIX = "/api/v1"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Route handlers are plain functions that FastAPI runs in anyio's thread pool.
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = app.state.backend.settings.threads
    model = app.state.tutor.model
    if model is not None:  # load the weights now, not on the first question
        threading.Thread(target=_warm, args=(model,), name="tutor-load", daemon=True).start()
    yield


def _warm(model: ChatModel) -> None:
    try:
        model.load()
    except LearnloopError as exc:
        log.warning("the tutor's model did not load: %s", exc.message)


def make_tutor(backend: Backend, chat_model: ChatModel | None = _FROM_SETTINGS) -> Tutor:
    """The tutor with ``chat_model``, or the one the settings choose. A model that cannot
    work here (its extra not installed, bad settings) turns generation off, with the reason
    shown to students, rather than stopping the server."""
    if chat_model is not _FROM_SETTINGS:
        return Tutor(backend, chat_model, off_reason=None if chat_model else "generation is off")
    from learnloop.tutor.models import make_chat_model

    try:
        model = make_chat_model(backend.settings)
        reason = model.unavailable_reason() if model is not None else None
    except LearnloopError as exc:
        model, reason = None, exc.message
    if reason is not None:
        log.warning("the tutor answers without generation: %s", reason)
        model = None
    return Tutor(backend, model, off_reason=reason)


def create_app(
    backend: Backend | None = None, *, chat_model: ChatModel | None = _FROM_SETTINGS
) -> FastAPI:
    """Build the app; without ``backend`` it connects using the settings, and without
    ``chat_model`` the tutor uses the one the settings choose (``None``: generation off)."""
    # the docs pages' scripts and styles come from the fastapi-offline package, served here:
    # they work offline, and no third-party script runs on the session cookie's origin
    app: FastAPI = FastAPIOffline(
        lifespan=_lifespan,
        title="learnloop",
        version=__version__,
        description="Personalized learning: practice, grading, mastery and tutoring.",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        static_url="/docs-static",
    )
    app.state.backend = backend or Backend.open()
    app.state.tutor = make_tutor(app.state.backend, chat_model)
    install_error_handlers(app)
    for module in (
        meta, auth, users, classes, courses, attempts, recommend, review, grader, tutor, analytics
    ):  # fmt: skip
        app.include_router(
            module.router,
            prefix=API_PREFIX,
            responses=ERROR_RESPONSES,
            dependencies=[Depends(refuse_nul_characters)],
        )
    pages.install(app)  # the pages, their error pages and "/": after the API's handlers
    return app


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory`` (used by ``learnloop serve --workers N``)."""
    return create_app()
