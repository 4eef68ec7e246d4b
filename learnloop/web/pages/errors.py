"""Errors as pages: what went wrong and what to do, in the visitor's language, never a
stack trace.

The JSON API keeps its one error shape (``web.errors``). A request gets an error page instead
when a person is looking: its path is outside ``/api/`` and its ``Accept`` header asks for
HTML, as a browser's does. A page that needs a login sends a GET to the login page instead.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, Response

from learnloop.errors import LearnloopError
from learnloop.web.deps import SESSION_COOKIE
from learnloop.web.errors import _field_path
from learnloop.web.pages.render import LoginRequired, login_url, optional_user, redirect, render

log = logging.getLogger(__name__)

_BARE_ERROR = (
    '<!doctype html><html lang="en"><meta charset="utf-8"><title>Error {status}</title>'
    "<h1>Something went wrong (error {status})</h1><p>Try again in a moment, or go back to "
    '<a href="/courses">your courses</a>. 出了点问题，请稍后重试。</p></html>'
)
_KNOWN = {401, 403, 404, 405, 409, 422, 429, 500, 503}
_GENERIC_DETAILS = {"Not Found", "Method Not Allowed", "Internal Server Error"}


def wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path in ("/docs", "/openapi.json", "/redoc"):
        return False
    return "text/html" in request.headers.get("accept", "")


def _explain(exc: Exception) -> tuple[int, str, dict[str, str]]:
    """Status, the server's own message (empty if it says nothing useful), field problems."""
    if isinstance(exc, LearnloopError):
        details = {k: str(v) for k, v in exc.details.items() if isinstance(v, str)}
        return exc.status, exc.message, details
    if isinstance(exc, RequestValidationError):
        details = {}
        for err in exc.errors():
            details[_field_path(err.get("loc", ()))] = str(err.get("msg", "invalid"))
        return 422, "", details
    if isinstance(exc, StarletteHTTPException):
        detail = str(exc.detail)
        return exc.status_code, "" if detail in _GENERIC_DETAILS else detail, {}
    return 500, "", {}


async def error_page(request: Request, exc: Exception) -> Response:
    status, message, details = _explain(exc)
    if not isinstance(exc, LearnloopError | StarletteHTTPException | RequestValidationError):
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        message = ""  # what failed inside the server is for the log, not the visitor
    kind = str(status) if status in _KNOWN else "other"
    user = await run_in_threadpool(optional_user, request)
    context: dict[str, Any] = {
        "status": status,
        "kind": kind,
        "message": message,
        "details": details,
        "retry": status in (409, 429, 500, 503),
    }
    headers: dict[str, str] = {}
    if isinstance(exc, StarletteHTTPException) and exc.headers:
        headers.update(exc.headers)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    try:
        return render(
            request, "error.html", context, user=user, status_code=status, headers=headers
        )
    except Exception:  # the error page itself failed: still no stack trace for the visitor
        log.exception("the error page for %s could not be rendered", status)
        return HTMLResponse(_BARE_ERROR.format(status=status), status_code=status, headers=headers)


async def _login_required(request: Request, exc: Exception) -> Response:
    if request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response: Response = redirect(login_url(target))
    else:
        response = render(
            request,
            "error.html",
            {"status": 401, "kind": "401", "message": "", "details": {}, "retry": False},
            status_code=401,
        )
    if request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE)  # it no longer logs anyone in
    return response


def install_error_pages(app: FastAPI) -> None:
    """Put the pages in front of the API's handlers (``install_error_handlers`` first)."""
    for exc_class in (LearnloopError, RequestValidationError, StarletteHTTPException, Exception):
        api_handler = app.exception_handlers[exc_class]

        async def handler(request: Request, exc: Exception, _api: Any = api_handler) -> Response:
            if wants_html(request):
                return await error_page(request, exc)
            response: Response = await _api(request, exc)
            return response

        app.add_exception_handler(exc_class, handler)
    app.add_exception_handler(LoginRequired, _login_required)
