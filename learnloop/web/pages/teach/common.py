"""Small helpers the teacher pages share."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

from fastapi import Request, UploadFile

from learnloop.errors import InvalidInputError

T = TypeVar("T")


def read_upload(upload: UploadFile | None, limit: int) -> bytes | None:
    """The uploaded file's bytes, or ``None`` if the form's file field was left empty."""
    if upload is None or not upload.filename:
        return None
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInputError(
            f"the file is larger than {limit // 1_000_000} MB; split it or ask an administrator"
        )
    return data


def short(text: str, limit: int = 120) -> str:
    """``text`` on one line, cut at ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Pager:
    """One page of a long list, and the links to the others (``teach/_pager.html``)."""

    page: int
    """1-based."""
    pages: int
    total: int
    size: int
    path: str
    query: dict[str, str]
    """The request's other query parameters, kept in every link."""

    @property
    def first(self) -> int:
        """The 1-based number of the page's first entry (0 for an empty list)."""
        return min(self.total, (self.page - 1) * self.size + 1)

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.size)

    def url(self, page: int) -> str:
        return f"{self.path}?{urlencode({**self.query, 'page': page})}"

    def numbers(self) -> list[int | None]:
        """The page numbers to link: the first, the last and two either side of this one;
        ``None`` where some are left out."""
        near = {1, self.pages, *range(self.page - 2, self.page + 3)}
        out: list[int | None] = []
        for n in sorted(n for n in near if 1 <= n <= self.pages):
            if out and out[-1] is not None and n > out[-1] + 1:
                out.append(None)
            out.append(n)
        return out


def paginate(request: Request, entries: Sequence[T], page: int, size: int) -> tuple[list[T], Pager]:
    """Page ``page`` of ``entries`` (a page past the end shows the last one)."""
    pages = max(1, math.ceil(len(entries) / size))
    page = min(max(1, page), pages)
    query = {k: v for k, v in request.query_params.items() if k != "page"}
    pager = Pager(page, pages, len(entries), size, request.url.path, query)
    return list(entries[(page - 1) * size : page * size]), pager
