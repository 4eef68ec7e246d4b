"""Small helpers the teacher pages share."""

from __future__ import annotations

from fastapi import UploadFile

from learnloop.errors import InvalidInputError


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
