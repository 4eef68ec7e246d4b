"""Which forgetting model predicts a returning student's answers better: FSRS or a time decay.

Run::

    .venv/bin/python bench/forgetting.py                  # both demo courses, both learners
    .venv/bin/python bench/forgetting.py --students 200 --seed 1

The public knowledge-tracing logs (../shared/data/kt) carry no timestamps, so the two models
are compared on timestamped logs of our simulated learners (``recommend/simulate.py``: two
different models of learning and forgetting). Each simulated student practises the course's
items in sessions separated by gaps of hours to weeks; every graded answer is an event of
(student, concept). ``recommend.forgetting.select_model`` fits both models on 70 % of the
student-concept histories and scores the log-loss of P(right) on the other 30 % (every answer
after the first of a history), the same selection ``learnloop kt forgetting`` runs on a
platform's own log. Both are judged inside the same BKT (the shipped priors): between two
answers, what was known stays known with the model's recall. The same BKT without forgetting
and a constant (the share right) are the floors to beat. Written to
``bench/results/forgetting-<date>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench.* as a script

import numpy as np
from rich.console import Console
from rich.table import Table

from bench.machine import machine, versions, write_report
from learnloop.courses import load_pack
from learnloop.recommend.forgetting import Event, log_loss, predictions, select_model
from learnloop.recommend.simulate import AbilityLearner, BKTLearner, course_model
from learnloop.tracing.priors import load_priors

DEMO = Path(__file__).resolve().parent.parent / "learnloop" / "demo" / "courses"
LEARNERS = {"bkt": BKTLearner, "ability": AbilityLearner}
START = datetime(2026, 9, 1, 8, tzinfo=UTC)


def simulate_log(
    course: Any, learner_cls: Any, *, students: int, sessions: int, per_session: int, seed: int
) -> list[list[Event]]:
    """Histories of (student, concept): items in course order with repeats, sessions apart."""
    rng = np.random.default_rng(seed)
    items = list(course.items.values())
    out: list[list[Event]] = []
    for n in range(students):
        learner = learner_cls(course, seed * 100_003 + n, start=START)
        now = START
        cursor = 0
        events: dict[str, list[Event]] = {}
        for _ in range(sessions):
            for _ in range(per_session):
                # mostly the next item in course order, sometimes one seen before
                k = cursor if rng.random() < 0.7 else int(rng.integers(0, max(cursor, 1)))
                cursor = min(cursor + 1, len(items) - 1) if k == cursor else cursor
                item = items[k]
                correct = learner.answer(item, rng, now)
                learner.practise(item, correct, now)
                events.setdefault(item.concepts[0], []).append(Event(now, float(correct)))
                now += timedelta(minutes=float(rng.uniform(1, 4)))
            now += timedelta(days=float(rng.choice([0.5, 1, 2, 3, 7, 14, 30])))
        out += [seq for seq in events.values() if len(seq) > 1]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--courses", default="fractions,photosynthesis")
    ap.add_argument("--learners", default="bkt,ability")
    ap.add_argument("--students", type=int, default=150)
    ap.add_argument("--sessions", type=int, default=12)
    ap.add_argument("--per-session", type=int, default=12)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--results", type=Path, default=Path(__file__).parent / "results")
    args = ap.parse_args()
    console = Console()
    # judged inside the live model's start: the BKT priors a new installation serves
    tracer = dict(load_priors().params)
    rows = []
    for course_key in args.courses.split(","):
        course = course_model(load_pack(DEMO / course_key))
        for learner_key in args.learners.split(","):
            t0 = time.perf_counter()
            log = simulate_log(
                course,
                LEARNERS[learner_key],
                students=args.students,
                sessions=args.sessions,
                per_session=args.per_session,
                seed=args.seed,
            )
            sel = select_model(log, random_state=args.seed, tracer=tracer)
            # the floor: the share right, for every answer scored
            _, y = predictions(None, log, tracer=tracer)
            constant = log_loss(np.full_like(y, y.mean()), y)
            row = {
                "course": course_key,
                "learner": learner_key,
                "histories": len(log),
                "answers": sum(len(s) for s in log),
                "test_answers": sel.test_answers,
                "test_log_loss": sel.test_loss,
                "train_log_loss": sel.train_loss,
                "constant_log_loss": constant,
                "no_forgetting_log_loss": sel.no_forgetting_loss,
                "params": {k: m.params() for k, m in sel.models.items()},
                "chosen": sel.chosen,
                "seconds": round(time.perf_counter() - t0, 1),
            }
            rows.append(row)
            console.print(
                f"{course_key} / {learner_key}: kept {sel.chosen} "
                f"({', '.join(f'{k} {v:.4f}' for k, v in sel.test_loss.items())})"
            )
    table = Table(title="Forgetting models: held-out log-loss (lower is better)")
    cols = ("course", "learner", "held-out answers", "fsrs", "decay", "no forgetting",
            "constant", "kept")  # fmt: skip
    for col in cols:
        table.add_column(col)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = [
            r["course"],
            r["learner"],
            f"{r['test_answers']:,}",
            f"{r['test_log_loss']['fsrs']:.4f}",
            f"{r['test_log_loss']['decay']:.4f}",
            f"{r['no_forgetting_log_loss']:.4f}",
            f"{r['constant_log_loss']:.4f}",
            r["chosen"],
        ]
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    console.print(table)
    report = {
        "date": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "versions": versions(),
        "args": {k: str(v) for k, v in vars(args).items()},
        "rows": rows,
    }
    md = (
        "# Forgetting models on simulated learners\n\n"
        "Held-out log-loss of P(right) on 30 % of the student-concept histories "
        "(`bench/forgetting.py`).\n\n" + "\n".join(lines) + "\n"
    )
    stem = write_report(args.results, "forgetting", report, md)
    console.print(f"written {stem}.json and .md")


if __name__ == "__main__":
    main()
