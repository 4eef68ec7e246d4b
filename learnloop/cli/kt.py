"""``learnloop kt``: evaluate knowledge-tracing models on a log, and re-fit the live one."""

from __future__ import annotations

import math
import time

import click
from rich.table import Table

from learnloop.cli.base import cli, console, err_console, key_values, parse_params, progress_bar
from learnloop.services import Backend
from learnloop.services import tracing as tracing_service
from learnloop.tracing import MODELS, make_model
from learnloop.tracing.data import CSV_COLUMNS
from learnloop.tracing.evaluate import METRICS, cross_validate, load_folds, mean_std


@cli.group()
def kt() -> None:
    """Knowledge tracing: evaluate models on response logs and fit the live one."""


model_option = click.option(
    "--model",
    "model_name",
    type=click.Choice(sorted(MODELS)),
    default="bkt",
    show_default=True,
    help="Which model to use.",
)
param_option = click.option(
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A hyper-parameter, e.g. --param forgets=true (repeatable).",
)


@kt.command("evaluate")
@click.option(
    "--data",
    "data",
    required=True,
    type=click.Path(exists=True),
    help="A log file (CSV, or 3-/4-line sequences) or a folder of train{k}/test{k} folds.",
)
@model_option
@click.option(
    "--folds",
    default=5,
    show_default=True,
    type=click.IntRange(1),
    help="Student folds for a file; for a fold folder, how many of its folds to run.",
)
@click.option("--seed", default=0, show_default=True, help="Shuffles students into folds.")
@param_option
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="FIELD=NAME",
    help=f"CSV column for a field ({', '.join(CSV_COLUMNS)}), e.g. student=user_id.",
)
@click.option("--skill-sep", default=";", show_default=True, help="Separates skills in a CSV cell.")
@click.option(
    "--expanded",
    is_flag=True,
    help="Keep rows that repeat one response per skill as separate responses (only to "
    "compare with tools that score them so; models with student-wide state then see the "
    "label of the copies).",
)
def evaluate(
    data: str,
    model_name: str,
    folds: int,
    seed: int,
    params: tuple[str, ...],
    columns: tuple[str, ...],
    skill_sep: str,
    expanded: bool,
) -> None:
    """Cross-validate a model: AUC, accuracy and RMSE per fold, then mean and standard
    deviation. Every response after a student's first is scored from the ones before it."""
    hyper = parse_params(params)
    make_model(model_name, **hyper)  # fail on a bad name or parameter before reading data
    csv_options = {"columns": key_values(columns, "--column", "FIELD=NAME"), "skill_sep": skill_sep}
    fold_list = load_folds(
        data, n_folds=folds, seed=seed, merge_repeats=not expanded, csv_options=csv_options
    )
    started = time.perf_counter()
    with progress_bar(f"{model_name}") as tick:
        results = cross_validate(lambda: make_model(model_name, **hyper), fold_list, progress=tick)
    table = Table(title=f"{model_name} on {data}", title_justify="left")
    for col in ("fold", "AUC", "accuracy", "RMSE", "train", "scored", "fit s", "pred s"):
        table.add_column(col, justify="right", no_wrap=True)
    for r in results:
        table.add_row(
            str(r.fold),
            _f(r.auc),
            _f(r.accuracy),
            _f(r.rmse),
            f"{r.train_responses:,}",
            f"{r.scored_responses:,}",
            f"{r.fit_seconds:.1f}",
            f"{r.predict_seconds:.2f}",
        )
    stats = [mean_std(results, m) for m in METRICS]
    table.add_section()
    table.add_row("mean", *(_f(m) for m, _ in stats))
    table.add_row("sd", *(_f(sd) for _, sd in stats))
    console.print(table)
    err_console.print(f"{len(results)} fold(s) in {time.perf_counter() - started:.1f}s")


def _f(x: float) -> str:
    return "nan" if math.isnan(x) else f"{x:.4f}"


@kt.command("fit")
@model_option
@click.option("--name", default=None, help="Saved model name (default: the model's name).")
@click.option("--course", default=None, help="Only this course's answers (default: all).")
@click.option(
    "--include-provisional", is_flag=True, help="Also use grades still awaiting a teacher."
)
@param_option
def fit(
    model_name: str,
    name: str | None,
    course: str | None,
    include_provisional: bool,
    params: tuple[str, ...],
) -> None:
    """Re-fit a model on the platform's own graded answers and save it in the data
    directory (models/tracing/NAME), where the live mastery estimate picks it up."""
    backend = Backend.open()
    with progress_bar(f"fitting {model_name}") as tick:
        tick("reading answers and fitting", 0, 1)
        report = tracing_service.fit_from_database(
            backend,
            model=model_name,
            name=name,
            course=course,
            params=parse_params(params),
            include_provisional=include_provisional,
        )
    console.print(report.summary(), markup=False)


@kt.command("forgetting")
@click.option(
    "--min-answers",
    type=click.IntRange(min=1),
    default=None,
    help="Repeated answers needed before a fit is trusted (default 300).",
)
def forgetting(min_answers: int | None) -> None:
    """Fit the forgetting model behind reviews to the platform's own answers and their
    times: FSRS and the time-decay model are both fitted, the one with the lower held-out
    log-loss is kept, and every student's memory is rebuilt with it."""
    from learnloop.services import forgetting as service

    backend = Backend.open()
    try:
        kwargs = {} if min_answers is None else {"min_answers": min_answers}
        report = service.fit_forgetting(backend, **kwargs)
    finally:
        backend.close()
    console.print(report.summary(), markup=False)
