"""Types shared by the routes' parameters and response models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator

MAX_ID = 2**31 - 1
"""Ids are 32-bit integers in PostgreSQL; a larger number names nothing and the database
refuses to compare with it, so it is refused as invalid input instead. Also the largest
offset a list accepts."""

IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


def _as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]
"""A moment sent with its offset, as OpenAPI's ``date-time`` (RFC 3339) requires."""
