"""Importing a course pack from the browser: a .zip upload (teachers), or a folder on the
server (administrators), with the validator's problems listed by file and line."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from learnloop.errors import CoursePackError, InvalidInputError, PermissionDeniedError, Problem
from learnloop.services import access, courses, pack_upload
from learnloop.storage.tables import Role, User
from learnloop.web.deps import BackendDep
from learnloop.web.pages.render import PageUser, render
from learnloop.web.pages.teach.common import read_upload

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    backend: BackendDep,
    user: User,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    access.require_role(user, Role.TEACHER)
    with backend.transaction() as s:
        catalogue = courses.list_courses(s)
    context: dict[str, Any] = {
        "catalogue": catalogue,
        "is_admin": user.role is Role.ADMIN,
        "outcome": None,
        "problems": [],
        "problem": "",
        "path": "",
        "source": "",
    }
    context.update(extra or {})
    return render(request, "teach/import.html", context, user=user, status_code=status_code)


@router.get("/teach/import")
def import_page(request: Request, backend: BackendDep, user: PageUser) -> HTMLResponse:
    return _page(request, backend, user)


@router.post("/teach/import")
def import_pack(
    request: Request,
    backend: BackendDep,
    user: PageUser,
    pack: Annotated[UploadFile | None, File()] = None,
    path: Annotated[str, Form(max_length=1000)] = "",
    check_only: Annotated[str, Form(max_length=8)] = "",
) -> HTMLResponse:
    """One form per source: the upload's form sends ``pack``, the folder's form ``path``."""
    access.require_role(user, Role.TEACHER)
    only = check_only == "1"
    source = "path" if path.strip() else "zip"
    try:
        if source == "path":
            outcome = pack_upload.import_folder(backend, user, path, check_only=only)
        else:
            data = read_upload(pack, pack_upload.MAX_UPLOAD)
            if data is None:
                raise InvalidInputError("choose the course pack's .zip file first")
            name = (pack.filename if pack else None) or "the upload"
            outcome = pack_upload.import_zip(backend, user, data, name=name, check_only=only)
    except CoursePackError as exc:
        errors = [p for p in exc.problems if p.severity == "error"]
        extra = {"problems": _ordered(exc.problems), "errors": len(errors), "path": path}
        return _page(request, backend, user, {**extra, "source": source}, status_code=422)
    except (InvalidInputError, PermissionDeniedError) as exc:
        extra = {"problem": exc.message, "path": path, "source": source}
        return _page(request, backend, user, extra, status_code=exc.status)
    return _page(request, backend, user, {"outcome": outcome, "source": source})


def _ordered(problems: list[Problem]) -> list[Problem]:
    """Errors first, then by file and line, as a teacher fixes them."""
    return sorted(problems, key=lambda p: (p.severity != "error", p.file, p.line or 0))
