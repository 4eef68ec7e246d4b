"""One JSON shape for every error the API returns::

    {"error": {"status": 404, "code": "not_found", "message": "...", "details": {...}}}

``details`` maps a field (dotted path) to its problem for validation errors.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from learnloop.errors import LearnloopError, RateLimitedError

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid_input",
    429: "too_many_requests",
}


class ErrorInfo(BaseModel):
    status: int = Field(description="The HTTP status code, repeated")
    code: str = Field(description="A stable machine-readable name, e.g. not_found")
    message: str = Field(description="What went wrong and how to fix it, fit to show a user")
    details: dict[str, Any] = Field(
        description="For invalid input: each field (dotted path, e.g. body.course_id) "
        "and its problem"
    )


class ErrorOut(BaseModel):
    error: ErrorInfo


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorOut, "description": "The request was refused; see error.code"},
    "5XX": {"model": ErrorOut, "description": "The server could not answer; see error.code"},
}
"""Documented on every operation, in place of FastAPI's own 422 body, which this app never
sends."""


def error_body(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> dict:
    return {"error": {"status": status, "code": code, "message": message, "details": details or {}}}


def _respond(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = error_body(status, code, message, details)
    return JSONResponse(body, status_code=status, headers=headers)


_TYPE_TAGS = {"str", "int", "float", "bool", "list", "dict", "none", "bytes"}


def _field_path(loc: Any) -> str:
    """``body.response`` rather than ``body.response.list[constrained-str]``: pydantic adds
    the union member it tried to the location, which means nothing to the client."""
    parts = [str(p) for p in loc if not (isinstance(p, str) and ("[" in p or p in _TYPE_TAGS))]
    return ".".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LearnloopError)
    async def _domain(_request: Request, exc: LearnloopError) -> JSONResponse:
        headers = (
            {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimitedError) else None
        )
        return _respond(exc.status, exc.code, exc.message, exc.details, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details: dict[str, str] = {}
        for err in exc.errors():
            field = _field_path(err.get("loc", ()))
            msg = str(err.get("msg", "invalid"))
            if field in details and msg not in details[field]:
                details[field] = f"{details[field]}; or: {msg}"
            else:
                details[field] = msg
        fields = ", ".join(details) or "the request"
        return _respond(422, "invalid_input", f"invalid input in {fields}", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        return _respond(exc.status_code, code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return _respond(500, "internal_error", "something went wrong on the server; it was logged")
