"""Priors for a new installation's student model: fitted on public logs, scored on held-out ones.

Run::

    .venv/bin/python bench/kt_priors.py                         # ASSIST2009 and ASSIST2015, fold 1
    .venv/bin/python bench/kt_priors.py --datasets assist2009 --fold 2

A platform with no answers of its own needs one BKT parameter set for every concept. On
``train{k}`` this fits learnloop's BKT (``learnloop.tracing.BKT``) twice:

- **pooled**: one set for all skills, each (student, skill) sequence still its own chain;
- **per skill**: the usual fit, one set per skill; its spread (quartiles over skills) says
  how much skills differ, and its **per-skill median** is a second candidate;
- **smoothed**: the pooled fit with guess and slip held at 0.31 or more, so that no answer
  moves mastery by much more than 20 points: what steadier numbers cost in accuracy.

Every candidate then serves the students of ``test{k}`` through the live adapter
(``BKTMastery``, one state per student and skill, exactly as the answer loop does), beside
the running estimate with its defaults (the old live start) and the per-skill fit (what a
course's own large log could reach; not available to a new course). Scored: log-loss, AUC,
RMSE on every response after each student's first (the pyKT protocol), log-loss on each
student's first answer on a skill (where only the prior speaks), and how far one answer
moves the shown mastery (from the prior, and the median / 90th percentile over the
held-out answers). The candidate with the lowest held-out log-loss is written with its
provenance to ``learnloop/tracing/priors/bkt-<dataset>.json``; the report goes to
``bench/results/kt_priors-<date>.json`` and ``.md``. No data is copied into the package.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench.* as a script

import numpy as np
from rich.console import Console
from rich.table import Table

from bench.machine import machine, versions, write_report
from learnloop.tracing import (
    BKT,
    MASTERED,
    InteractionLog,
    MasteryModel,
    RunningEstimate,
    read_log,
)
from learnloop.tracing.bkt import PARAMS, step
from learnloop.tracing.evaluate import fold_files, metrics, scored
from learnloop.tracing.live import BKTMastery
from learnloop.tracing.priors import write_priors

ROOT = Path(__file__).resolve().parent.parent
DATASETS = {
    "assist2009": {
        "folder": "assist2009/akt_pid_5fold",
        "title": "ASSISTments 2009-2010 skill builder (corrected), AKT 'pid' 5-fold split",
        "source": "github.com/arghosh/AKT data/assist2009_pid, commit "
        "01b7e8d7d7c862cabc9467108e3e7f2555653a88 (MIT); underlying data: ASSISTments "
        "(Heffernan lab), free for research, cite Feng, Heffernan & Koedinger (2009)",
    },
    "assist2015": {
        "folder": "assist2015/akt_5fold",
        "title": "ASSISTments 2015 (100 skill builders), AKT 5-fold split",
        "source": "github.com/arghosh/AKT data/assist2015, commit "
        "01b7e8d7d7c862cabc9467108e3e7f2555653a88 (MIT); underlying data: ASSISTments, "
        "research use",
    },
}
CANDIDATES = ("pooled", "median", "smoothed")
"""The single parameter sets a new course can start from; the lowest held-out log-loss wins."""
SMOOTH_FLOOR = 0.31
"""Guess and slip at least this in the smoothed fit: no answer then moves mastery by much
more than 20 points (the likelihood ratio of an answer stays under 2.25)."""

err = Console(stderr=True)
out = Console(width=None if sys.stdout.isatty() else 180)


def pooled_log(log: InteractionLog) -> InteractionLog:
    """Every skill renamed to one: each (student, skill) sequence becomes a "student" of
    its own, so EM fits one parameter set over all chains without merging skills' chains."""
    rows, skills = log.expanded()
    key = log.student[rows] * len(log.skills) + skills
    order = np.argsort(key, kind="stable")  # keeps each chain's time order
    names, student = np.unique(key[order], return_inverse=True)
    n = len(order)
    return InteractionLog(
        student=student.astype(np.int64),
        item=log.item[rows[order]],
        skill_ptr=np.arange(n + 1, dtype=np.int64),
        skill=np.zeros(n, dtype=np.int64),
        correct=log.correct[rows[order]],
        students=names.astype(np.str_),
        items=log.items,
        skills=np.array(["all"]),
    )


def spread(model: BKT, train: InteractionLog) -> dict[str, dict[str, float]]:
    """Quartiles of each per-skill parameter over the skills fitted."""
    return {
        k: {
            "q1": float(np.quantile(getattr(model, f"{k}_"), 0.25)),
            "median": float(np.median(getattr(model, f"{k}_"))),
            "q3": float(np.quantile(getattr(model, f"{k}_"), 0.75)),
        }
        for k in PARAMS
    }


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


@dataclass
class Replay:
    p_correct: np.ndarray
    """P(right) of every response, from the states before it (mean over its skills)."""
    first_on_skill: np.ndarray
    """True where the response is the student's first on every one of its skills."""
    moves: np.ndarray
    """|change of shown mastery| of every (response, skill) update."""


def replay(log: InteractionLog, live: MasteryModel, p_right: Any) -> Replay:
    """Serve ``log`` answer by answer through ``live``, one state per student and skill."""
    n = len(log)
    p = np.empty(n)
    first = np.zeros(n, dtype=bool)
    moves = []
    states: dict[int, dict[str, Any]] = {}
    for i in range(n):
        if i == 0 or log.student[i] != log.student[i - 1]:
            states = {}
        skills = log.skill[log.skill_ptr[i] : log.skill_ptr[i + 1]]
        before = []
        for k in skills:
            k = int(k)
            if k not in states:
                states[k] = live.initial_state(str(log.skills[k]))
            before.append(states[k])
        first[i] = all(s["n"] == 0 for s in before)
        p[i] = float(np.mean([p_right(s) for s in before]))
        y = float(log.correct[i])
        for k, state in zip(skills, before, strict=True):
            new = live.update(state, y)
            moves.append(abs(live.p_mastery(new) - live.p_mastery(state)))
            states[int(k)] = new
    return Replay(p_correct=p, first_on_skill=first, moves=np.asarray(moves))


def bkt_right(live: BKTMastery) -> Any:
    def p_right(state: dict[str, Any]) -> float:
        prm = live.model.params_of(state.get("concept"))
        a = live.p_mastery(state)
        return a * (1 - prm["slip"]) + (1 - a) * prm["guess"]

    return p_right


def to_mastered(live: MasteryModel, concept: str | None = None) -> int:
    """Right answers in a row from the start until the concept counts as mastered."""
    state = live.initial_state(concept)
    for n in range(1, 51):
        state = live.update(state, 1.0)
        if live.p_mastery(state) >= MASTERED:
            return n
    return 51


def one_answer(params: dict[str, float]) -> dict[str, float]:
    """How far one answer moves mastery from the prior, and at most anywhere."""
    prior = params["prior"]
    grid = np.linspace(0.01, 0.99, 99)
    largest = max(max(abs(step(params, g, 1.0) - g), abs(step(params, g, 0.0) - g)) for g in grid)
    return {
        "after_right": step(params, prior, 1.0),
        "after_wrong": step(params, prior, 0.0),
        "right_moves": step(params, prior, 1.0) - prior,
        "wrong_moves": step(params, prior, 0.0) - prior,
        "largest_move": float(largest),
        "right_to_mastered": to_mastered(BKTMastery(BKT.from_params(params))),
    }


def per_skill_answer(model: BKT) -> dict[str, float]:
    """``one_answer`` of every fitted skill, the median over skills of each figure."""
    each = [one_answer(model.params_of(str(k))) for k in model.skills_]
    return {key: float(np.median([e[key] for e in each])) for key in each[0]}


def running_answer(model: RunningEstimate) -> dict[str, float]:
    s = model.initial_state()
    right = model.p_mastery(model.update(s, 1.0))
    wrong = model.p_mastery(model.update(s, 0.0))
    return {
        "after_right": right,
        "after_wrong": wrong,
        "right_moves": right - model.prior,
        "wrong_moves": wrong - model.prior,
        "largest_move": model.rate,
        "right_to_mastered": to_mastered(model),
    }


def score(test: InteractionLog, r: Replay) -> dict[str, Any]:
    mask = scored(test)
    y = test.correct.astype(np.float64)
    m = metrics(y[mask], r.p_correct[mask])
    return {
        "log_loss": log_loss(y[mask], r.p_correct[mask]),
        **m,
        "scored_responses": int(mask.sum()),
        "first_on_skill_log_loss": log_loss(y[r.first_on_skill], r.p_correct[r.first_on_skill]),
        "first_on_skill_responses": int(r.first_on_skill.sum()),
        "median_move": float(np.median(r.moves)),
        "p90_move": float(np.quantile(r.moves, 0.9)),
    }


def run(dataset: str, folder: Path, k: int) -> dict[str, Any]:
    files = fold_files(folder)[k]
    train, test = read_log(files["train"]), read_log(files["test"])
    err.print(f"[bold]{dataset}[/bold] fold {k}: train {train.summary()}; test {test.summary()}")
    started = time.perf_counter()
    pooled = BKT().fit(pooled_log(train))
    pooled_seconds = time.perf_counter() - started
    started = time.perf_counter()
    per_skill = BKT().fit(train)
    per_skill_seconds = time.perf_counter() - started
    skills = spread(per_skill, train)
    floor = (SMOOTH_FLOOR, 0.5)
    smoothed = BKT(guess_bounds=floor, slip_bounds=floor).fit(pooled_log(train))
    sets = {
        "pooled": pooled.params_of(None),
        "median": {k: v["median"] for k, v in skills.items()},
        "smoothed": smoothed.params_of(None),
    }
    labels = {
        "pooled": "BKT, pooled fit",
        "median": "BKT, per-skill medians",
        "smoothed": f"BKT, pooled fit with guess, slip >= {SMOOTH_FLOOR}",
    }
    rows: dict[str, dict[str, Any]] = {}
    for name, params in sets.items():
        live = BKTMastery(BKT.from_params(params))
        rows[name] = {
            "label": labels[name],
            "params": params,
            "one_answer": one_answer(params),
            **score(test, replay(test, live, bkt_right(live))),
        }
    running = RunningEstimate()
    rows["running"] = {
        "label": f"running estimate (prior {running.prior}, rate {running.rate}), the old start",
        "params": {"prior": running.prior, "rate": running.rate},
        "one_answer": running_answer(running),
        **score(test, replay(test, running, running.p_mastery)),
    }
    live = BKTMastery(per_skill)
    served = replay(test, live, bkt_right(live))
    rows["per_skill"] = {
        "label": "BKT, per-skill fit (needs the course's own log; moves: median over skills)",
        "params": {},
        "one_answer": per_skill_answer(per_skill),
        **score(test, served),
    }
    # the replay scores the live path; BKT's vectorised prediction must agree with it
    gap = float(np.max(np.abs(per_skill.predict_proba(test) - served.p_correct)))
    if gap > 1e-9:
        raise SystemExit(f"the live replay and BKT.predict_proba differ by up to {gap:.2g}")
    chosen = min(CANDIDATES, key=lambda c: rows[c]["log_loss"])
    return {
        "dataset": dataset,
        "title": DATASETS[dataset]["title"],
        "source": DATASETS[dataset]["source"],
        "fold": k,
        "train_file": files["train"].name,
        "test_file": files["test"].name,
        "train": {
            "responses": len(train),
            "students": train.n_students,
            "skills": len(np.unique(train.skill)),
        },
        "test": {"responses": len(test), "students": test.n_students},
        "fit_seconds": {"pooled": pooled_seconds, "per_skill": per_skill_seconds},
        "pooled_em_iterations": int(pooled.n_iter_),
        "per_skill_spread": skills,
        "rows": rows,
        "chosen": chosen,
    }


def priors_file(result: dict[str, Any], date: str) -> dict[str, Any]:
    chosen = result["chosen"]
    row = result["rows"][chosen]
    others = {c: result["rows"][c]["log_loss"] for c in CANDIDATES if c != chosen}
    return {
        "model": "bkt",
        "params": row["params"],
        "choice": chosen,
        "why": (
            f"lowest held-out log-loss of the single parameter sets ({row['log_loss']:.4f}; "
            + ", ".join(f"{c} {v:.4f}" for c, v in others.items())
            + ")"
        ),
        "provenance": {
            "dataset": result["title"],
            "source": result["source"],
            "fold": result["fold"],
            "fitted_on": result["train_file"],
            "held_out": result["test_file"],
            "responses": result["train"]["responses"],
            "students": result["train"]["students"],
            "skills": result["train"]["skills"],
            "date": date,
            "fitted_with": (
                "bench/kt_priors.py: learnloop BKT (EM, default bounds, no forgetting), "
                + (
                    "one parameter set for all skills, each (student, skill) sequence its own chain"
                    if chosen == "pooled"
                    else "one parameter set per skill, then the median of each parameter"
                )
            ),
        },
        "held_out": {
            k: row[k]
            for k in (
                "log_loss",
                "auc",
                "accuracy",
                "rmse",
                "scored_responses",
                "first_on_skill_log_loss",
            )
        },
        "one_answer": row["one_answer"],
        "baseline_held_out": {
            "running": {k: result["rows"]["running"][k] for k in ("log_loss", "auc", "rmse")},
            "per_skill": {k: result["rows"]["per_skill"][k] for k in ("log_loss", "auc", "rmse")},
        },
        "candidates": {c: result["rows"][c]["params"] for c in CANDIDATES},
        "per_skill_spread": result["per_skill_spread"],
    }


def pct(x: float) -> str:
    return f"{100 * x:+.0f}"


def table_rows(result: dict[str, Any]) -> list[list[str]]:
    lines = []
    for name, r in result["rows"].items():
        o = r["one_answer"]
        lines.append(
            [
                r["label"] + (" [chosen]" if name == result["chosen"] else ""),
                f"{r['log_loss']:.4f}",
                f"{r['auc']:.4f}",
                f"{r['rmse']:.4f}",
                f"{r['first_on_skill_log_loss']:.4f}",
                f"{r['params'].get('prior', float('nan')):.2f}" if r["params"] else "per skill",
                f"{pct(o['right_moves'])} / {pct(o['wrong_moves'])}",
                f"{100 * o['largest_move']:.0f}",
                f"{100 * r['median_move']:.0f} / {100 * r['p90_move']:.0f}",
                f"{o['right_to_mastered']:.0f}",
            ]
        )
    return lines


COLUMNS = (
    "start",
    "log-loss",
    "AUC",
    "RMSE",
    "log-loss, 1st on skill",
    "prior",
    "1st answer moves, right / wrong",
    "largest move",
    "moves on held-out, median / p90",
    "right answers to mastered",
)


def param_lines(result: dict[str, Any]) -> list[str]:
    lines = [
        "| parameter | pooled | smoothed | per-skill median | per-skill q1 - q3 |",
        "|---|---|---|---|---|",
    ]
    pooled = result["rows"]["pooled"]["params"]
    smoothed = result["rows"]["smoothed"]["params"]
    for k in PARAMS:
        s = result["per_skill_spread"][k]
        lines.append(
            f"| {k} | {pooled[k]:.3f} | {smoothed[k]:.3f} | {s['median']:.3f} | "
            f"{s['q1']:.3f} - {s['q3']:.3f} |"
        )
    return lines


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    parts = [
        f"# Knowledge tracing priors for a new installation ({report['date']})",
        "",
        f"`{report['command']}`",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores (shared; load average {m['load_average']} "
        f"at the start), Python {m['python']}.",
        "",
        "Each start serves the held-out students answer by answer through the live adapter "
        "(one state per student and skill). Log-loss, AUC, RMSE: every response after the "
        "student's first; log-loss, 1st on skill: the student's first answer on each skill "
        "(the prior alone); moves: how many points of shown mastery one answer changes (from"
        " the prior; the largest anywhere; over the held-out answers); right answers to "
        f"mastered: in a row from the prior to {MASTERED:.0%}.",
    ]
    for r in report["datasets"]:
        parts += [
            "",
            f"## {r['dataset']}, fit on {r['train_file']} ({r['train']['responses']:,} responses, "
            f"{r['train']['students']:,} students, {r['train']['skills']} skills), "
            f"scored on {r['test_file']} ({r['test']['responses']:,} responses)",
            "",
            "| " + " | ".join(COLUMNS) + " |",
            "|" + "---|" * len(COLUMNS),
        ]
        parts += ["| " + " | ".join(line) + " |" for line in table_rows(r)]
        parts += ["", *param_lines(r), "", f"Shipped: `{r['shipped']}` ({r['chosen']})."]
    return "\n".join(parts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="assist2009,assist2015")
    parser.add_argument("--fold", type=int, default=1)
    parser.add_argument("--data-root", default=str(ROOT.parent / "shared" / "data" / "kt"))
    parser.add_argument("--results", default=str(ROOT / "bench" / "results"))
    parser.add_argument(
        "--no-write-priors", action="store_true", help="measure only; leave the shipped files"
    )
    args = parser.parse_args()
    names = [d.strip() for d in args.datasets.split(",") if d.strip()]
    if unknown := [d for d in names if d not in DATASETS]:
        parser.error(f"unknown data set(s) {unknown}; choose from {', '.join(DATASETS)}")
    date = datetime.now(UTC).isoformat(timespec="seconds")
    report: dict[str, Any] = {
        "date": date,
        "command": " ".join(["bench/kt_priors.py", *sys.argv[1:]]),
        "machine": machine(),
        "versions": versions(),
        "datasets": [],
    }
    for name in names:
        result = run(name, Path(args.data_root) / DATASETS[name]["folder"], args.fold)
        stem = f"bkt-{name}"
        if not args.no_write_priors:
            path = write_priors(stem, priors_file(result, date[:10]))
            err.print(f"wrote {path}")
        result["shipped"] = f"learnloop/tracing/priors/{stem}.json"
        report["datasets"].append(result)
        t = Table(title=f"{name}: fit on {result['train_file']}, scored on {result['test_file']}")
        for col in COLUMNS:
            t.add_column(col, justify="left" if col == "start" else "right")
        for line in table_rows(result):
            t.add_row(*line)
        out.print(t)
        out.print("\n".join(param_lines(result)))
    stem_path = write_report(Path(args.results), "kt_priors", report, markdown(report))
    err.print(f"wrote {stem_path}.json and .md")


if __name__ == "__main__":
    main()
