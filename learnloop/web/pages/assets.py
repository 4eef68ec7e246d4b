"""plotly.js, served from the installed ``plotly`` Python package (never copied into the repo).

The file is 4.8 MB; browsers that accept gzip get it compressed (about 1.4 MB), compressed
once per process. Its URL carries the package's version, so it is cached for a year and a
new plotly gets a new URL.
"""

from __future__ import annotations

import gzip
import threading
from functools import cache
from importlib import metadata
from importlib.resources import files

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from learnloop.errors import NotFoundError

router = APIRouter(include_in_schema=False)

_lock = threading.Lock()
_compressed: list[bytes] = []


@cache
def plotly_version() -> str:
    try:
        return metadata.version("plotly")
    except metadata.PackageNotFoundError:
        return "missing"


def plotly_js() -> bytes:
    """The minified plotly.js bundled with the ``plotly`` package."""
    try:
        return (files("plotly") / "package_data" / "plotly.min.js").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError):
        raise NotFoundError(
            "plotly.js is not installed: the charts need the 'plotly' package "
            "(pip install learnloop, which depends on it)"
        ) from None


def _gzipped() -> bytes:
    with _lock:
        if not _compressed:
            _compressed.append(gzip.compress(plotly_js(), compresslevel=6, mtime=0))
        return _compressed[0]


@router.get("/vendor/plotly.min.js")
def serve_plotly(request: Request) -> Response:
    headers = {
        "Cache-Control": "public, max-age=31536000, immutable",
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = _gzipped()
        headers["Content-Encoding"] = "gzip"
    else:
        body = plotly_js()
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


@router.get("/favicon.ico")
def favicon() -> RedirectResponse:
    """Browsers ask for it whatever the page says; the icon is an SVG."""
    return RedirectResponse("/static/favicon.svg", status_code=301)
