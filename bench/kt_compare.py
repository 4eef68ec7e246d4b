"""Knowledge tracing, learnloop against its peers, in one run on the same folds.

Run::

    bash bench/peers/setup.sh                        # once: .venv-peers with pyBKT and pyKT
    .venv/bin/python bench/kt_compare.py             # ASSIST2009 fold 1, every model
    .venv/bin/python bench/kt_compare.py --datasets assist2009,assist2015 --folds 5 \\
        --models bkt,pfa,irt,pybkt,pykt-dkt --max-students 200   # a quick check

Our models (``learnloop.tracing.MODELS``: bkt, pfa, irt and any model registered there) run
in this process. The peers run in their own venv (pyBKT 1.4.3 needs numpy < 2), as
subprocesses of ``bench/peers/run_*.py``, each trained as its authors intend: pyBKT with its
defaults, pyKT's DKT and AKT with pyKT's default configs and epoch loop, early stopping on
``valid{k}``. pyKT's AKT needs hours per fold on a small CPU; ``--akt-budget-minutes`` stops
it early, and the table then calls it under-trained and quotes pyKT's published figure next
to it, labelled as such.

Every model is scored the same way, here, by ``learnloop.tracing.evaluate.metrics``: the
responses of ``test{k}`` after each student's first, with multi-skill responses counted once.
The peers work on the expanded rows (one per skill), predict every copy of a response from
the history before that response (pyKT's question-level protocol), and the copies'
predictions are averaged into one (pyKT's late fusion "mean"; the mean of per-skill BKT
predictions, as learnloop's BKT does).

Results go to ``bench/results/kt_compare-<date>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# one thread for every model, ours and the peers'
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench.* as a script

import numpy as np
from rich.console import Console
from rich.table import Table

from bench.machine import machine, versions
from learnloop.tracing import MODELS, InteractionLog, make_model, read_log
from learnloop.tracing.data import detect_sequence_format
from learnloop.tracing.evaluate import fold_files, metrics, scored

ROOT = Path(__file__).resolve().parent.parent
PEERS = Path(__file__).resolve().parent / "peers"
DATASETS = {"assist2009": "assist2009/akt_pid_5fold", "assist2015": "assist2015/akt_5fold"}
PEER_MODELS = ("pybkt", "pykt-dkt", "pykt-akt")
PUBLISHED = {
    # pyKT's published AUCs (its own preprocessing and splits, so not the same test set)
    "assist2009": {"pykt-dkt": 0.7541, "pykt-akt": 0.7853},
    "assist2015": {"pykt-dkt": 0.7271, "pykt-akt": 0.7281},
}
LABELS = {"pybkt": "pyBKT (BKT)", "pykt-dkt": "pyKT DKT", "pykt-akt": "pyKT AKT"}

err = Console(stderr=True)
out = Console(width=None if sys.stdout.isatty() else 160)


@dataclass
class Row:
    model: str
    label: str
    fold: int
    auc: float
    accuracy: float
    rmse: float
    fit_seconds: float
    predict_seconds: float
    scored_responses: int
    note: str = ""
    under_trained: bool = False
    info: dict[str, Any] = field(default_factory=dict)


def wait_for_quiet() -> None:
    """A load benchmark needs the whole machine: wait until none is running."""
    announced = False
    while True:
        found = subprocess.run(["pgrep", "-f", "answer_load"], capture_output=True, text=True)
        pids = [p for p in found.stdout.split() if int(p) != os.getpid()]
        if not pids:
            return
        if not announced:
            err.print(f"[yellow]a load benchmark is running (pid {', '.join(pids)}); waiting")
            announced = True
        time.sleep(30)


def subset(path: Path, max_students: int, folder: Path) -> Path:
    lines = path.read_text().splitlines()
    k = detect_sequence_format(lines)
    target = folder / path.name
    target.write_text("\n".join(lines[: k * max_students]) + "\n")
    return target


def response_index(expanded: InteractionLog, merged: InteractionLog) -> np.ndarray:
    """For each expanded row, the merged response it belongs to (the readers' merge rule),
    checked against the merged log so the two can never silently disagree."""
    index = np.empty(len(expanded), dtype=np.int64)
    n, group = -1, set[int]()
    for i in range(len(expanded)):
        skill = int(expanded.skill[expanded.skill_ptr[i]])
        if (
            i
            and expanded.student[i] == expanded.student[i - 1]
            and expanded.item[i] >= 0
            and expanded.item[i] == expanded.item[i - 1]
            and expanded.correct[i] == expanded.correct[i - 1]
            and skill not in group
        ):
            group.add(skill)
        else:
            n, group = n + 1, {skill}
        index[i] = n
    if n + 1 != len(merged) or np.any(merged.correct[index] != expanded.correct):
        raise SystemExit("expanded and merged test logs disagree; cannot score peers")
    return index


def run_ours(
    name: str, train: InteractionLog, test: InteractionLog, fold: int, valid_path: Path | None
) -> Row:
    """A learnloop model; one that stops early (its ``fit`` takes ``valid``) watches
    ``valid{k}``, like the pyKT models."""
    model = make_model(name)
    kwargs: dict[str, Any] = {}
    if valid_path is not None and "valid" in inspect.signature(model.fit).parameters:
        kwargs["valid"] = read_log(valid_path)
    started = time.perf_counter()
    model.fit(train, **kwargs)
    fitted = time.perf_counter()
    p = model.predict_proba(test)
    predicted = time.perf_counter()
    mask = scored(test)
    m = metrics(test.correct[mask], p[mask])
    return Row(
        model=name,
        label=f"learnloop {name}",
        fold=fold,
        fit_seconds=fitted - started,
        predict_seconds=predicted - fitted,
        scored_responses=int(mask.sum()),
        note="",
        **m,
    )


def run_peer(
    name: str,
    files: dict[str, Path],
    *,
    python: Path,
    expanded: InteractionLog,
    merged: InteractionLog,
    fold: int,
    akt_budget: float,
    work: Path,
    result_file: Path | None = None,
) -> Row:
    """Run a peer in its venv and score its predictions here; with ``result_file``, score
    the predictions of an earlier run of the same runner instead (``--peer-result``)."""
    result_path = result_file or work / f"{name}-{fold}.json"
    if result_file is not None:
        cmd: list[str] = []
    elif name == "pybkt":
        cmd = [str(PEERS / "run_pybkt.py"), "--train", str(files["train"])]
    else:
        cmd = [str(PEERS / "run_pykt.py"), "--model", name.removeprefix("pykt-")]
        cmd += ["--train", str(files["train"]), "--valid", str(files["valid"])]
        if name == "pykt-akt" and akt_budget:
            cmd += ["--budget-minutes", str(akt_budget)]
    if cmd:
        cmd += ["--test", str(files["test"]), "--out", str(result_path)]
        env = {
            **os.environ,
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "WANDB_MODE": "disabled",
        }
        done = subprocess.run([str(python), *cmd], env=env, stdout=sys.stderr, check=False)
        if done.returncode:
            raise SystemExit(f"{name} failed (exit {done.returncode}): {' '.join(cmd)}")
    result = json.loads(result_path.read_text())
    p_rows = np.asarray(result["predictions"], dtype=np.float64)
    if len(p_rows) != len(expanded) or np.any(np.asarray(result["labels"]) != expanded.correct):
        raise SystemExit(f"{name} predicted {len(p_rows)} rows; the test file has {len(expanded)}")
    index = response_index(expanded, merged)
    counts = np.bincount(index, minlength=len(merged))
    p = np.bincount(index, weights=p_rows, minlength=len(merged)) / counts
    mask = scored(merged)
    m = metrics(merged.correct[mask], p[mask])
    info = {k: v for k, v in result["info"].items() if k != "history"}
    info["versions"] = result["versions"]
    under = name == "pykt-akt" and not info.get("converged", True)
    label = LABELS[name]
    note = ""
    if "stopped_by" in info:
        note = f"{info['stopped_by']}; best epoch {info['best_epoch']} of {info['epochs']}"
    if result_file is not None:
        note += f"; run separately by bench/peers/run_pykt.py, scored here ({result_file.name})"
    if under:
        budget = info.get("budget_minutes") or akt_budget
        label = f"pyKT AKT (budget {budget:g} min, under-trained)"
    if name == "pybkt":
        note = f"{info['num_fits']} EM restarts per skill, {info['skills']} skills"
    return Row(
        model=name,
        label=label,
        fold=fold,
        fit_seconds=result["fit_seconds"],
        predict_seconds=result["predict_seconds"],
        scored_responses=int(mask.sum()),
        note=note,
        under_trained=under,
        info=info,
        **m,
    )


def reused_rows(report_path: Path, dataset: str, models: list[str], folds: list[int]) -> list[Row]:
    """Rows of an earlier run of this script (same folds, same scoring), labelled with its
    date: a peer that takes most of an hour need not run again to sit in the table."""
    earlier = json.loads(report_path.read_text())
    rows = []
    today = datetime.now(UTC).date().isoformat()
    for d in earlier["datasets"].get(dataset, {}).get("folds_detail", []):
        if d["model"] in models and d["fold"] in folds:
            row = Row(**d)
            if earlier["date"][:10] != today and "script's run of" not in row.note:
                row.note = "; ".join(
                    filter(None, [row.note, f"from this script's run of {earlier['date'][:10]}"])
                )
            row.info = {**row.info, "reused_from": str(report_path)}
            rows.append(row)
    missing = {(m, k) for m in models for k in folds} - {(r.model, r.fold) for r in rows}
    if missing:
        raise SystemExit(f"{report_path} has no rows for {sorted(missing)} on {dataset}")
    return rows


def summarize(rows: list[Row]) -> list[dict[str, Any]]:
    """One line per model: the mean over folds (and its sd when there are several)."""
    lines = []
    for model in dict.fromkeys(r.model for r in rows):
        mine = [r for r in rows if r.model == model]
        line: dict[str, Any] = {"model": model, "label": mine[-1].label, "folds": len(mine)}
        for key in ("auc", "accuracy", "rmse", "fit_seconds", "predict_seconds"):
            values = np.array([getattr(r, key) for r in mine])
            line[key] = float(values.mean())
            line[key + "_sd"] = float(values.std(ddof=1)) if len(values) > 1 else None
        line["note"] = "; ".join(dict.fromkeys(r.note for r in mine if r.note))
        line["under_trained"] = any(r.under_trained for r in mine)
        lines.append(line)
    return lines


def published_lines(dataset: str, models: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "model": f"{m} (published)",
            "label": f"{LABELS[m]}: published",
            "auc": auc,
            "note": "pyKT's paper, its own preprocessing and splits; not measured here",
        }
        for m, auc in PUBLISHED.get(dataset, {}).items()
        if m in models
    ]


def fmt(value: Any, digits: int = 4, sd: Any = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    text = f"{value:.{digits}f}"
    return f"{text} ± {sd:.{digits}f}" if sd else text


def table(dataset: str, lines: list[dict[str, Any]], title: str) -> Table:
    t = Table(title=title)
    for col in ("model", "AUC", "accuracy", "RMSE", "train s", "predict s", "note"):
        t.add_column(col, justify="left" if col in ("model", "note") else "right")
    for line in lines:
        t.add_row(
            line["label"],
            fmt(line.get("auc"), 4, line.get("auc_sd")),
            fmt(line.get("accuracy")),
            fmt(line.get("rmse")),
            fmt(line.get("fit_seconds"), 1),
            fmt(line.get("predict_seconds"), 1),
            line.get("note", ""),
        )
    return t


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    parts = [
        f"# Knowledge tracing: learnloop and peers ({report['date']})",
        "",
        f"`{report['command']}`",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores (shared; load average {m['load_average']} "
        f"at the start), Python {m['python']}. Everything on one thread.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in sorted(report["versions"].items())) + ".",
        "",
        "Scored alike for every model: the responses of `test{k}` after each student's first,"
        " multi-skill responses counted once (peers: mean of the copies' predictions, each "
        "made from the history before the response). Train s = fitting (with early stopping "
        "on `valid{k}` for the pyKT models), predict s = the whole test fold.",
    ]
    if report.get("reused"):
        parts += ["", f"Reused: {report['reused']}."]
    for key, file in (report.get("peer_results") or {}).items():
        parts += ["", f"Scored here from a separate run of the peer's runner: {key} ({file})."]
    for dataset, d in report["datasets"].items():
        parts += [
            "",
            f"## {dataset}, fold(s) {', '.join(map(str, d['folds']))}"
            + (f", first {report['max_students']} students" if report["max_students"] else ""),
            "",
            "| model | AUC | accuracy | RMSE | train s | predict s | note |",
            "|---|---|---|---|---|---|---|",
        ]
        for line in d["summary"] + d["published"]:
            parts.append(
                f"| {line['label']} | {fmt(line.get('auc'), 4, line.get('auc_sd'))} | "
                f"{fmt(line.get('accuracy'))} | {fmt(line.get('rmse'))} | "
                f"{fmt(line.get('fit_seconds'), 1)} | {fmt(line.get('predict_seconds'), 1)} | "
                f"{line.get('note', '')} |"
            )
    if report.get("deviations"):
        parts += ["", "## Where a peer is not run exactly as its authors run it", ""]
        parts += [f"- {d}" for d in report["deviations"]]
    return "\n".join(parts) + "\n"


DEVIATIONS = [
    "pyBKT runs with `parallel=False` (one process on a shared machine): same fit, slower.",
    "pyKT's own preprocessing (its id mapping, fold assignment and minimum sequence length) "
    "is replaced by these AKT fold files, read into pyKT's layout (concept-level rows, 200-row "
    "chunks, 0-based ids); training sees the expanded copies as pyKT's does.",
    "pyKT's training script is replaced by an equivalent loop around pyKT's own "
    "`model_forward` and `evaluate` (same optimizer, batch sizes, early stopping rule), with "
    "the best weights kept in memory instead of a checkpoint file, and no wandb.",
    "Test predictions follow pyKT's question-level protocol (each copy of a multi-skill "
    "response predicted from the history before it, late-fusion mean), written here rather than "
    "run through pyKT's `evaluate_splitpred_question`; past 200 rows the history is a window of "
    "100-199 rows (windows every 100 rows) instead of pyKT's one window per row (199 rows).",
    "The AUC of a time-boxed AKT is that of an under-trained model; pyKT's published AKT "
    "figure is quoted beside it and is not a measurement of this machine or split.",
]


@dataclass
class Fold:
    dataset: str
    folder: Path
    folds: list[tuple[int, dict[str, Path]]]
    k: int
    files: dict[str, Path]
    train: InteractionLog
    test: InteractionLog
    expanded: InteractionLog


def run_fold(
    fold: Fold,
    *,
    models: list[str],
    all_models: list[str],
    skipped: list[str],
    given: dict[tuple[str, str, int], Path],
    args: argparse.Namespace,
    python: Path,
    work: Path,
    report: dict[str, Any],
    earlier: list[Row],
    started: float,
) -> list[Row]:
    """Every model on one fold: ours here, one after another; the peers as subprocesses,
    beside ours with ``--jobs`` > 1. The report is saved after every model."""
    fold_rows: dict[str, Row] = {}

    def peer(name: str) -> Row:
        return run_peer(
            name,
            fold.files,
            python=python,
            expanded=fold.expanded,
            merged=fold.test,
            fold=fold.k,
            akt_budget=args.akt_budget_minutes,
            work=work,
            result_file=given.get((fold.dataset, name, fold.k)),
        )

    def done(row: Row) -> None:
        err.print(
            f"  {row.label}: AUC {row.auc:.4f}, accuracy {row.accuracy:.4f}, "
            f"fit {row.fit_seconds:.1f} s, predict {row.predict_seconds:.1f} s"
        )
        fold_rows[row.model] = row
        for dist, v in row.info.get("versions", {}).items():
            report["versions"].setdefault(f"{dist} (peers)", v)
        ordered = [fold_rows[m] for m in models if m in fold_rows]
        record(
            report,
            fold.dataset,
            fold.folder,
            fold.folds,
            [*earlier, *ordered],
            all_models,
            skipped,
        )
        save(report, Path(args.results), started)

    where = f"{fold.dataset} fold {fold.k}"
    peers = [m for m in models if m in PEER_MODELS]
    ours = [m for m in models if m in MODELS]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs - 1)) as pool:
        futures = {}
        if args.jobs > 1:
            for name in peers:
                err.print(f"[bold]{name}[/bold] on {where} (in the background)")
                futures[pool.submit(peer, name)] = name
        for name in ours:
            err.print(f"[bold]{name}[/bold] on {where} ...")
            done(run_ours(name, fold.train, fold.test, fold.k, fold.files.get("valid")))
        if args.jobs <= 1:
            for name in peers:
                wait_for_quiet()
                err.print(f"[bold]{name}[/bold] on {where} ...")
                done(peer(name))
        for future in as_completed(futures):
            done(future.result())
    return [fold_rows[m] for m in models if m in fold_rows]


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Compare learnloop's knowledge tracing with pyBKT and pyKT on the same folds."
    )
    parser.add_argument("--datasets", default="assist2009", help="assist2009, assist2015")
    parser.add_argument("--folds", type=int, default=1, help="the first N folds (default 1)")
    parser.add_argument(
        "--models",
        default="bkt,pfa,irt," + ",".join(PEER_MODELS),
        help=f"ours: {', '.join(MODELS)}; peers: {', '.join(PEER_MODELS)}",
    )
    parser.add_argument("--akt-budget-minutes", type=float, default=15.0, help="0: no limit")
    parser.add_argument("--data-root", default=str(ROOT.parent / "shared" / "data" / "kt"))
    parser.add_argument("--max-students", type=int, default=0, help="first N of each file")
    parser.add_argument("--peers-python", default=str(ROOT / ".venv-peers" / "bin" / "python"))
    parser.add_argument("--results", default=str(ROOT / "bench" / "results"))
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="peers run in up to N-1 processes beside ours (default 1: one at a time)",
    )
    parser.add_argument(
        "--peer-result",
        action="append",
        default=[],
        metavar="DATASET:MODEL:FOLD=FILE",
        help="score this earlier output of bench/peers/run_*.py instead of running the peer",
    )
    parser.add_argument(
        "--reuse",
        metavar="REPORT.json",
        help="take the rows of --reuse-models from an earlier kt_compare report",
    )
    parser.add_argument(
        "--reuse-models",
        default="",
        metavar="[DATASET:]MODEL,...",
        help="models whose rows come from --reuse (all data sets unless DATASET: is given)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="DATASET:MODEL",
        help="do not run this peer on this data set (the table says so)",
    )
    args = parser.parse_args()
    given: dict[tuple[str, str, int], Path] = {}
    for spec in args.peer_result:
        key, sep, file = spec.partition("=")
        parts = key.split(":")
        if not sep or len(parts) != 3 or not parts[2].isdigit() or not Path(file).is_file():
            parser.error(f"--peer-result {spec!r}: expected DATASET:MODEL:FOLD=FILE (a file)")
        given[(parts[0], parts[1], int(parts[2]))] = Path(file)
    reuse = [m.strip() for m in args.reuse_models.split(",") if m.strip()]
    if reuse and not args.reuse:
        parser.error("--reuse-models needs --reuse REPORT.json")
    skip = {tuple(spec.split(":", 1)) for spec in args.skip}
    if any(len(pair) != 2 for pair in skip):
        parser.error("--skip takes DATASET:MODEL")

    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in MODELS and m not in PEER_MODELS]
    if unknown or any(d not in DATASETS for d in datasets):
        parser.error(
            f"unknown model or data set: {unknown or datasets}; models: "
            f"{', '.join([*MODELS, *PEER_MODELS])}; data sets: {', '.join(DATASETS)}"
        )
    python = Path(args.peers_python)
    if any(m in PEER_MODELS for m in models) and not python.is_file():
        parser.error(f"no peer venv at {python}: run `bash bench/peers/setup.sh` first")

    started = time.perf_counter()
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["bench/kt_compare.py", *sys.argv[1:]]),
        "machine": machine(),
        "versions": versions(),
        "max_students": args.max_students or None,
        "akt_budget_minutes": args.akt_budget_minutes or None,
        "reused": (
            f"rows of {', '.join(reuse)} from {args.reuse} (an earlier run of this script)"
            if reuse
            else None
        ),
        "peer_results": {f"{d}:{m}:{k}": str(f) for (d, m, k), f in given.items()},
        "datasets": {},
    }
    with tempfile.TemporaryDirectory(prefix="kt_compare-") as tmp:
        work = Path(tmp)
        for dataset in datasets:
            folder = Path(args.data_root) / DATASETS[dataset]
            folds = list(fold_files(folder).items())[: args.folds]
            rows: list[Row] = []
            reused = [
                m.split(":")[-1] for m in reuse if ":" not in m or m.startswith(dataset + ":")
            ]
            if reused:
                rows += reused_rows(Path(args.reuse), dataset, reused, [k for k, _ in folds])
            skipped = [m for d, m in skip if d == dataset]
            fold_models = [m for m in models if m not in reused and m not in skipped]
            for k, files in folds:
                if args.max_students:
                    part = work / f"{dataset}-{k}"
                    part.mkdir()
                    files = {n: subset(p, args.max_students, part) for n, p in files.items()}
                err.rule(f"{dataset} fold {k}")
                train, test = read_log(files["train"]), read_log(files["test"])
                expanded = read_log(files["test"], merge_repeats=False)
                err.print(f"train: {train.summary()}\ntest: {test.summary()}")
                rows += run_fold(
                    Fold(dataset, folder, folds, k, files, train, test, expanded),
                    models=fold_models,
                    all_models=models,
                    skipped=skipped,
                    given=given,
                    args=args,
                    python=python,
                    work=work,
                    report=report,
                    earlier=rows,
                    started=started,
                )
            d = report["datasets"][dataset]
            title = f"{dataset}, {len(folds)} fold(s)"
            out.print(table(dataset, d["summary"] + d["published"], title))
    stem = save(report, Path(args.results), started)
    err.print(f"wrote {stem}.json and .md ({report['wall_seconds']:.0f} s)")


def record(
    report: dict[str, Any],
    dataset: str,
    folder: Path,
    folds: list[tuple[int, dict[str, Path]]],
    rows: list[Row],
    models: list[str],
    skipped: list[str] | None = None,
) -> None:
    order = {m: i for i, m in enumerate(models)}
    rows = sorted(rows, key=lambda r: (order.get(r.model, len(order)), r.fold))
    not_run = [
        {
            "model": f"{m} (not run)",
            "label": f"{LABELS.get(m, m)}: not run",
            "note": "left out of this run (--skip); hours per fold on this CPU",
        }
        for m in skipped or []
    ]
    report["datasets"][dataset] = {
        "folder": str(folder),
        "folds": [k for k, _ in folds],
        "summary": summarize(rows),
        "published": not_run + published_lines(dataset, models),
        "folds_detail": [asdict(r) for r in rows],
    }
    report["deviations"] = [
        d
        for d in DEVIATIONS
        if ("pyBKT" in d and "pybkt" in models)
        or ("pyKT" in d and any(m.startswith("pykt") for m in models))
    ]


def save(report: dict[str, Any], results: Path, started: float) -> Path:
    """Written after every model, so a run cut short still leaves what it measured."""
    report["versions"].pop("python (peers)", None)
    report["wall_seconds"] = time.perf_counter() - started
    results.mkdir(parents=True, exist_ok=True)
    stem = results / f"kt_compare-{report['date'][:10]}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    stem.with_suffix(".md").write_text(markdown(report))
    return stem


if __name__ == "__main__":
    main()
