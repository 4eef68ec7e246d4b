"""``learnloop course``: validate, import, export and list course packs."""

from __future__ import annotations

from pathlib import Path

import click

from learnloop.cli.base import cli, console, err_console, progress_bar
from learnloop.courses import validate_pack
from learnloop.domain import pick
from learnloop.errors import CoursePackError
from learnloop.services import Backend
from learnloop.services import courses as course_service


@cli.group()
def course() -> None:
    """Check, import, export and list course packs (see docs/course-packs.md)."""


def _existing_dir(path: str) -> Path:
    p = Path(path)
    if not p.is_dir():
        raise click.BadParameter(
            f"{path} is not a folder; a course pack is a folder with course.yaml"
        )
    return p


@course.command("validate")
@click.argument("path", type=click.Path())
def validate(path: str) -> None:
    """Check the course pack at PATH and report every problem with its file and line."""
    problems = validate_pack(_existing_dir(path))
    if any(p.severity == "error" for p in problems):
        raise CoursePackError(path, problems)
    for problem in problems:
        err_console.print(f"  {problem}", markup=False)
    warnings = f" ({len(problems)} warning{'s' if len(problems) != 1 else ''})" if problems else ""
    console.print(f"{path}: OK, no errors{warnings}", markup=False)


@course.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def import_(paths: tuple[str, ...]) -> None:
    """Import one or more course packs; all or nothing, and re-import updates in place."""
    backend = Backend.open()
    with backend.transaction() as session:
        for path in paths:
            with progress_bar(f"importing {path}") as tick:
                report = course_service.import_path(
                    session, path=_existing_dir(path), progress=tick
                )
            console.print(report.summary(), markup=False)


@course.command("export")
@click.argument("course_id")
@click.argument("path", type=click.Path())
@click.option("--overwrite", is_flag=True, help="Replace the contents of a non-empty folder.")
def export(course_id: str, path: str, overwrite: bool) -> None:
    """Write the course COURSE_ID as a course pack to the folder PATH."""
    backend = Backend.open()
    with backend.transaction() as session:
        pack = course_service.export_course(
            session, course_id=course_id, path=path, overwrite=overwrite
        )
    console.print(
        f"exported {course_id!r} to {path}: {len(pack.concepts)} concepts, "
        f"{len(pack.items)} items, {len(pack.materials)} materials",
        markup=False,
    )


@course.command("list")
def list_() -> None:
    """List the imported courses."""
    backend = Backend.open()
    with backend.transaction() as session:
        rows = course_service.list_courses(session)
    if not rows:
        err_console.print("no courses yet; import one with: learnloop course import PATH")
        return
    for c in rows:
        console.print(
            f"{c.id:<20} {pick(c.title):<36} {'/'.join(c.languages):<6} "
            f"{c.concepts:>3} concepts {c.items:>4} items {c.materials:>3} materials",
            markup=False,
        )
