"""The FastAPI application: JSON API under /api/v1, docs at /docs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi.responses import RedirectResponse

from learnloop import __version__
from learnloop.services.context import Backend
from learnloop.web.deps import refuse_nul_characters
from learnloop.web.errors import ERROR_RESPONSES, install_error_handlers
from learnloop.web.routes import attempts, auth, classes, courses, grader, meta, review, users

API_PREFIX = "/api/v1"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Route handlers are plain functions that FastAPI runs in anyio's thread pool.
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = app.state.backend.settings.threads
    yield


def create_app(backend: Backend | None = None) -> FastAPI:
    """Build the app; without ``backend`` it connects using the settings."""
    app = FastAPI(
        lifespan=_lifespan,
        title="learnloop",
        version=__version__,
        description="Personalized learning: practice, grading, mastery and tutoring.",
        openapi_url="/openapi.json",
        docs_url="/docs",
    )
    app.state.backend = backend or Backend.open()
    install_error_handlers(app)
    for module in (meta, auth, users, classes, courses, attempts, review, grader):
        app.include_router(
            module.router,
            prefix=API_PREFIX,
            responses=ERROR_RESPONSES,
            dependencies=[Depends(refuse_nul_characters)],
        )

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/docs")

    return app


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory`` (used by ``learnloop serve --workers N``)."""
    return create_app()
