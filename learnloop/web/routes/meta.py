"""Health and version: what a load balancer or a curious user asks first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from learnloop import __version__
from learnloop.storage import current_revision, head_revision

router = APIRouter(tags=["meta"])


class Health(BaseModel):
    status: str
    version: str
    database: str
    schema_revision: str | None
    schema_head: str


@router.get("/health", response_model=Health, summary="Is the server up and the database current?")
def health(request: Request) -> Health:
    backend = request.app.state.backend
    revision = current_revision(backend.engine)
    head = head_revision()
    return Health(
        status="ok" if revision == head else "needs-upgrade",
        version=__version__,
        database=backend.engine.dialect.name,
        schema_revision=revision,
        schema_head=head,
    )
