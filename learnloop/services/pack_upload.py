"""Course packs arriving through the web: a .zip upload, or (for an administrator) a folder
on the server. Every problem comes back located to a file and line; a pack with an error
changes nothing, and "check only" validates without importing."""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from learnloop.courses.loader import read_pack
from learnloop.errors import CoursePackError, InvalidInputError, PermissionDeniedError, Problem
from learnloop.services import access, courses
from learnloop.services.context import Backend
from learnloop.storage.tables import CourseRow, Role, User

MAX_UPLOAD = 20 * 1024 * 1024
MAX_UNPACKED = 10 * MAX_UPLOAD


@dataclass(frozen=True)
class PackOutcome:
    course_id: str
    imported: bool
    """False when the pack was only checked."""
    created: bool
    """The course is (or would be) new."""
    summary: str
    warnings: list[Problem] = field(default_factory=list)


def unpack_zip(data: bytes, dest: Path) -> Path:
    """Unpack a zipped pack into ``dest``; the folder holding ``course.yaml`` (at the top or
    one folder down). Refuses entries that point outside ``dest`` and zip bombs."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InvalidInputError(
            "the upload is not a .zip file; zip the course pack folder"
        ) from None
    total = 0
    for info in archive.infolist():
        target = (dest / info.filename).resolve()
        if not target.is_relative_to(dest.resolve()):
            raise InvalidInputError(f"the zip entry {info.filename!r} points outside the pack")
        total += info.file_size
        if total > MAX_UNPACKED:
            raise InvalidInputError(
                f"the zip unpacks to more than {MAX_UNPACKED // 1024 // 1024} MB"
            )
    archive.extractall(dest)
    if (dest / "course.yaml").is_file():
        return dest
    candidates = [p.parent for p in dest.glob("*/course.yaml")]
    if len(candidates) == 1:
        return candidates[0]
    raise InvalidInputError("the zip has no course.yaml at its top or one folder down")


def import_zip(
    backend: Backend,
    actor: User,
    data: bytes,
    *,
    name: str = "the upload",
    check_only: bool = False,
) -> PackOutcome:
    """Import (or only check) the pack zipped in ``data``; a teacher or an admin."""
    access.require_role(actor, Role.TEACHER)
    if len(data) > MAX_UPLOAD:
        raise InvalidInputError(f"the upload is larger than {MAX_UPLOAD // 1024 // 1024} MB")
    with tempfile.TemporaryDirectory() as tmp:
        root = unpack_zip(data, Path(tmp))
        return _import(backend, actor, root, name, check_only)


def import_folder(
    backend: Backend, actor: User, path: str, *, check_only: bool = False
) -> PackOutcome:
    """Import (or only check) the pack in a folder on the server, as ``learnloop course
    import`` does: an administrator's choice, since a path can name any file there."""
    if actor.role is not Role.ADMIN:
        raise PermissionDeniedError(
            "only an administrator may import a folder on the server; upload the pack as a "
            ".zip instead"
        )
    folder = Path(path.strip()).expanduser()
    if not path.strip() or not folder.is_dir():
        raise InvalidInputError(
            f"there is no folder {path.strip()!r} on the server; give the full path of the "
            "folder that holds course.yaml",
            details={"path": "not a folder"},
        )
    return _import(backend, actor, folder, str(folder), check_only)


def _import(backend: Backend, actor: User, root: Path, name: str, check_only: bool) -> PackOutcome:
    pack, problems = read_pack(root)
    if pack is None:
        raise CoursePackError(name, problems)
    warnings = [p for p in problems if p.severity == "warning"]
    with backend.transaction() as s:
        access.check_course_import(s, actor, pack.course.id)
        if check_only:
            exists = s.scalar(select(CourseRow.id).where(CourseRow.key == pack.course.id))
            return PackOutcome(
                course_id=pack.course.id,
                imported=False,
                created=exists is None,
                summary=(
                    f"course {pack.course.id!r} is valid: {len(pack.concepts)} concepts, "
                    f"{len(pack.items)} items, {len(pack.materials)} materials; nothing was "
                    "imported"
                ),
                warnings=warnings,
            )
        report = courses.import_pack(s, pack=pack)
    return PackOutcome(
        course_id=report.course_id,
        imported=True,
        created=report.created,
        summary=report.summary(),
        warnings=warnings,
    )
