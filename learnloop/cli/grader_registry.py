"""``learnloop grader retrain`` and ``register``: the models the answer loop grades with.

These commands join the ``grader`` group of ``learnloop.cli.grader`` (train, evaluate,
predict work on files); these two work on the database's model registry.
"""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from learnloop.cli.base import console, err_console, parse_params
from learnloop.cli.grader import grader
from learnloop.errors import InvalidInputError, NotFoundError
from learnloop.services import Backend, jobs
from learnloop.storage.tables import CourseRow


@grader.command("retrain")
@click.option("--course", "course_id", required=True, help="The course whose grader to retrain.")
@click.option(
    "--kind",
    type=click.Choice(["tfidf", "cross-encoder"]),
    default=None,
    help="Default: the active model's kind; cross-encoder where torch is installed, "
    "tfidf where it is not.",
)
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A hyper-parameter of the new model, e.g. --param epochs=2 (repeatable).",
)
@click.option(
    "--base-data",
    type=click.Path(exists=True),
    default=None,
    help="Training answers to add to the teachers' labels (default: the ones recorded "
    "with the active model).",
)
@click.option(
    "--base-test",
    type=click.Path(exists=True),
    default=None,
    help="Test answers to measure on besides the held-out labels (default: the ones "
    "recorded with the active model).",
)
@click.option(
    "--background",
    is_flag=True,
    help="Queue the job for `learnloop worker` (needs LEARNLOOP_REDIS_URL) and return.",
)
def retrain(
    course_id: str,
    kind: str | None,
    params: tuple[str, ...],
    base_data: str | None,
    base_test: str | None,
    background: bool,
) -> None:
    """Train a new grader for a course on its teachers' confirmed and overridden grades, and
    make it active only if it is not worse than the active one on held-out answers."""
    backend = Backend.open()
    try:
        with backend.transaction() as s:  # a typo fails here, not as a failed job
            if s.scalar(select(CourseRow.id).where(CourseRow.key == course_id)) is None:
                raise NotFoundError(f"no course with id {course_id!r}")
        job_params = {
            "course_id": course_id,
            "kind": kind,
            "params": parse_params(params),
            "base_data": str(Path(base_data).resolve()) if base_data else None,
            "base_test": str(Path(base_test).resolve()) if base_test else None,
        }
        if background:
            if not backend.settings.redis_url:
                raise InvalidInputError(
                    "--background needs LEARNLOOP_REDIS_URL and a running `learnloop worker`; "
                    "without them, leave --background out to train here"
                )
            view = jobs.start_job(
                backend, kind="grader.retrain", params=job_params, created_by=None
            )
            console.print(f"queued job {view.id}", markup=False)
            return
        job_id = jobs.create_job(backend, kind="grader.retrain", params=job_params, created_by=None)

        def echo(fraction: float, message: str) -> None:
            err_console.print(f"[{fraction:4.0%}] {message}", markup=False)

        view = jobs.execute(backend, job_id, echo=echo)
        report = view.result
        console.print(f"job {view.id}: kept the {report['kept']} model", markup=False)
        console.print(f"reason: {report['reason']}", markup=False)
        new, old = report.get("new_scores"), report.get("current_scores")
        if new:
            console.print(f"new model #{report['model_id']}: {_scores(new)}", markup=False)
        if old:
            console.print(
                f"active model #{report['current_model_id']}: {_scores(old)}", markup=False
            )
    finally:
        backend.close()


def _scores(scores: dict[str, float]) -> str:
    return (
        f"macro-F1 {scores['macro_f1']:.3f}, accuracy {scores['accuracy']:.3f} on "
        f"{int(scores['examples'])} held-out answers"
    )


@grader.command("register")
@click.option("--course", "course_id", default=None, help="The course that will use the model.")
@click.option(
    "--default",
    "as_default",
    is_flag=True,
    help="Register it as the default model, for courses without a model of their own.",
)
@click.option(
    "--model",
    "model_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False),
    help="A saved grader's folder (learnloop grader train --out, or a retraining's).",
)
@click.option("--name", default=None, help="A name for the registry (default: the folder's).")
def register(course_id: str | None, as_default: bool, model_dir: str, name: str | None) -> None:
    """Register a saved grader and make it the active model of a course (or the default).
    A folder outside the data folder is copied into it."""
    from learnloop.services import graders as graders_service  # scikit-learn: only when used

    if (course_id is None) == (not as_default):
        raise InvalidInputError("pass either --course COURSE_ID or --default")
    backend = Backend.open()
    try:
        with backend.transaction() as s:
            course = None
            if course_id is not None:
                course = s.scalar(select(CourseRow).where(CourseRow.key == course_id))
                if course is None:
                    raise InvalidInputError(
                        f"no course with id {course_id!r}; see learnloop course list"
                    )
            row = graders_service.import_model(
                s,
                data_dir=backend.settings.data_dir,
                course=course,
                source=Path(model_dir),
                name=name,
            )
            scope = f"course {course_id}" if course_id else "the default"
            console.print(
                f"registered {row.kind} model #{row.id} ({row.name}) as the active grader of "
                f"{scope}; stored at {row.path} in the data folder",
                markup=False,
            )
    finally:
        backend.close()
