"""Knowledge tracing online: how long one answer takes to update a student's state.

Run::

    .venv/bin/python bench/kt_online.py                       # every model, ASSIST2009 fold 1
    .venv/bin/python bench/kt_online.py --models bkt,pfa --students 50

Each model is fitted on ``train1`` of the AKT fold folder (deep members stop early on
``valid1``), then the first ``--students`` students of ``test1`` are replayed answer by
answer, as the live system would: ``predict_next`` (the probability shown before the answer)
and ``update`` (the state after it). ``live bkt`` is the path the answer loop actually runs
for each concept of an answered item (``FittedMastery``: ``update``, ``p_mastery`` and
``confidence`` on a per-concept state, reading the saved model from disk).

The target is an online update under 1 ms at p99. Results go to
``bench/results/kt_online-<date>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from rich.console import Console
from rich.table import Table

from bench.kt_compare import DATASETS
from bench.machine import machine, versions
from learnloop.tracing import MODELS, InteractionLog, make_model, read_log
from learnloop.tracing.evaluate import fold_files
from learnloop.tracing.live import FittedMastery

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 1.0
err = Console(stderr=True)
out = Console(width=None if sys.stdout.isatty() else 160)


def replay(model: Any, log: InteractionLog, students: int) -> np.ndarray:
    """Seconds per answer for predict_next + update over the first ``students`` students."""
    times = []
    for code in np.unique(log.student)[:students]:
        state = model.initial_state()
        for i in np.flatnonzero(log.student == code):
            r = log.response(int(i))
            t0 = time.perf_counter()
            model.predict_next(state, skills=r.skills, item=r.item)
            state = model.update(state, r)
            times.append(time.perf_counter() - t0)
    return np.asarray(times)


def replay_live(model_path: Path, log: InteractionLog, students: int) -> np.ndarray:
    """Seconds per answer on the answer loop's path: every concept of the item moved."""
    os.environ["LEARNLOOP_DATA_DIR"] = str(model_path)
    from learnloop.settings import get_settings

    get_settings.cache_clear()
    live = FittedMastery("bkt")
    live.current()  # load once, as a running server has
    times = []
    for code in np.unique(log.student)[:students]:
        states: dict[str, Any] = {}
        for i in np.flatnonzero(log.student == code):
            r = log.response(int(i))
            t0 = time.perf_counter()
            for skill in r.skills:
                state = live.update(states.get(skill) or live.initial_state(skill), r.correct)
                live.p_mastery(state), live.confidence(state)
                states[skill] = state
            times.append(time.perf_counter() - t0)
    return np.asarray(times)


def summary(name: str, times: np.ndarray, fit_seconds: float) -> dict[str, Any]:
    ms = times * 1000
    return {
        "model": name,
        "answers": len(ms),
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "p99_ms": float(np.percentile(ms, 99)),
        "max_ms": float(ms.max()),
        "fit_seconds": fit_seconds,
        "meets_target": bool(np.percentile(ms, 99) < TARGET_MS),
    }


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"# Knowledge tracing online: one answer's update ({report['date']})",
        "",
        f"`{report['command']}`",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores (shared; load average {m['load_average']} "
        f"at the start), Python {m['python']}, one thread.",
        "",
        f"Replayed: the first {report['students']} students of `{report['data']}` test1, "
        "answer by answer (`predict_next` + `update`; `live bkt`: the answer loop's "
        "per-concept `FittedMastery` update). Target: p99 under 1 ms.",
        "",
        "| model | answers | p50 ms | p95 ms | p99 ms | max ms | p99 < 1 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in report["rows"]:
        lines.append(
            f"| {r['model']} | {r['answers']:,} | {r['p50_ms']:.3f} | {r['p95_ms']:.3f} | "
            f"{r['p99_ms']:.3f} | {r['max_ms']:.2f} | {'yes' if r['meets_target'] else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(MODELS), help=", ".join(MODELS))
    parser.add_argument("--dataset", default="assist2009", choices=sorted(DATASETS))
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--data-root", default=str(ROOT.parent / "shared" / "data" / "kt"))
    parser.add_argument("--results", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args()
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    if unknown := [m for m in models if m not in MODELS]:
        parser.error(f"unknown model(s) {unknown}; choose from {', '.join(MODELS)}")
    folder = Path(args.data_root) / DATASETS[args.dataset]
    files = fold_files(folder)[1]
    train, test = read_log(files["train"]), read_log(files["test"])
    valid = read_log(files["valid"]) if "valid" in files else None
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["bench/kt_online.py", *sys.argv[1:]]),
        "machine": machine(),
        "versions": versions(),
        "data": str(folder),
        "students": args.students,
        "rows": [],
    }
    for name in models:
        err.print(f"[bold]{name}[/bold]: fitting on {len(train):,} responses ...")
        model = make_model(name)
        if "threads" in model.get_params():
            model.threads = 1  # type: ignore[attr-defined]
        started = time.perf_counter()
        if valid is not None and "valid" in inspect.signature(model.fit).parameters:
            model.fit(train, valid=valid)  # type: ignore[call-arg]
        else:
            model.fit(train)
        fit_seconds = time.perf_counter() - started
        report["rows"].append(summary(name, replay(model, test, args.students), fit_seconds))
        if name == "bkt":
            with tempfile.TemporaryDirectory() as tmp:
                model.save(Path(tmp) / "models" / "tracing" / "bkt")
                times = replay_live(Path(tmp), test, args.students)
            report["rows"].append(summary("live bkt", times, fit_seconds))
        err.print(f"  p99 {report['rows'][-1]['p99_ms']:.3f} ms")
    t = Table(title=f"online update, {args.dataset}, {args.students} test students")
    for col in ("model", "answers", "p50 ms", "p95 ms", "p99 ms", "max ms", "p99 < 1 ms"):
        t.add_column(col, justify="left" if col == "model" else "right")
    for r in report["rows"]:
        t.add_row(
            r["model"],
            f"{r['answers']:,}",
            f"{r['p50_ms']:.3f}",
            f"{r['p95_ms']:.3f}",
            f"{r['p99_ms']:.3f}",
            f"{r['max_ms']:.2f}",
            "yes" if r["meets_target"] else "no",
        )
    out.print(t)
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    stem = results / f"kt_online-{report['date'][:10]}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    stem.with_suffix(".md").write_text(markdown(report))
    err.print(f"wrote {stem}.json and .md")


if __name__ == "__main__":
    main()
