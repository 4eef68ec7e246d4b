"""Small synthetic logs, written in the formats the readers take."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from learnloop.tracing import InteractionLog, Record
from learnloop.tracing.simulate import simulate_bkt, simulate_logistic


def write_sequences(path: Path, log: InteractionLog, *, lines: int = 4) -> Path:
    """The log in the pyKT / AKT format, a multi-skill response as one row per skill."""
    out = []
    for n, code in enumerate(np.unique(log.student)):
        items, skills, labels = [], [], []
        for i in np.flatnonzero(log.student == code):
            for skill in log.skills_of(i):
                items.append(log.item_of(i) or "0")
                skills.append(skill)
                labels.append(str(int(log.correct[i])))
        out.append(f"{n},{log.students[code]}")
        if lines == 4:
            out.append(",".join(items))
        out += [",".join(skills), ",".join(labels)]
    path.write_text("\n".join(out) + "\n")
    return path


def numeric(log: InteractionLog) -> InteractionLog:
    """The same log with numeric ids, as the sequence formats need."""

    def num(name: str) -> str:
        return str(int("".join(ch if ch.isdigit() else "9" for ch in name)))

    return InteractionLog.from_records(
        [
            Record(
                student=num(str(log.students[log.student[i]])),
                item=num(log.item_of(i) or "0"),
                skills=tuple(num(s) for s in log.skills_of(i)),
                correct=int(log.correct[i]),
            )
            for i in range(len(log))
        ],
        merge_repeats=False,
    )


def multi_skill_log(
    *,
    n_students: int = 150,
    length: int = 25,
    n_skills: int = 12,
    seed: int = 0,
    random: bool = False,
) -> InteractionLog:
    """Items practising two or three skills each; labels follow the student's ability and
    practice, or are coin flips with ``random``."""
    rng = np.random.default_rng(seed)
    item_skills = [
        tuple(f"k{s}" for s in rng.choice(n_skills, rng.integers(2, 4), replace=False))
        for _ in range(60)
    ]
    records = []
    for s in range(n_students):
        ability = rng.normal()
        j = 0
        for t in range(length):
            j = (j + 1 + int(rng.integers(len(item_skills) - 1))) % len(item_skills)  # no repeat
            p = 0.5 if random else 1 / (1 + np.exp(-(ability + 0.1 * t - 0.5)))
            records.append(
                Record(
                    student=f"s{s}",
                    item=f"i{j}",
                    skills=item_skills[j],
                    correct=int(rng.random() < p),
                )
            )
    return InteractionLog.from_records(records, merge_repeats=False)


@pytest.fixture(scope="session")
def bkt_log() -> InteractionLog:
    return simulate_bkt(n_students=400, n_skills=3, length=25, random_state=7)[0]


@pytest.fixture(scope="session")
def logistic_logs() -> tuple[InteractionLog, InteractionLog]:
    log = simulate_logistic(n_students=450, random_state=3)
    students = np.unique(log.student)
    return log.select_students(students[:300]), log.select_students(students[300:])
