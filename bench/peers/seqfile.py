"""Fold files for the peer runners, read without learnloop (the peer venv does not have it).

A fold file holds one block per student: ``seq_index,user_id``, then (4-line format) problem
ids, skill ids and 0/1 labels, or (3-line format) skill ids and labels. Multi-skill responses
are stored expanded, one row per skill with the same problem and label; ``response_groups``
finds them with the rule learnloop's reader uses to merge them, so every runner can predict
the copies of one response from the same history and the main process can average them.
"""

from __future__ import annotations

import json
import platform
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any


@dataclass
class Sequence:
    user: str
    problems: list[str] | None
    skills: list[str]
    labels: list[int]
    groups: list[int] = field(default_factory=list)
    """For each row, the index (in this sequence) of the first row of its response."""


def _lines_per_block(lines: list[str]) -> int:
    if len(lines) >= 4:
        second = lines[1].split(",")
        fourth = lines[3].split(",")
        if len(fourth) == len(second) and set(v.strip() for v in fourth) <= {"0", "1"}:
            return 4
    return 3


def read(path: str | Path) -> list[Sequence]:
    lines = [line for line in Path(path).read_text().splitlines() if line.strip()]
    k = _lines_per_block(lines)
    out = []
    for start in range(0, len(lines), k):
        user = lines[start].split(",")[-1].strip()
        cols = [[v.strip() for v in line.split(",")] for line in lines[start + 1 : start + k]]
        problems = cols[0] if k == 4 else None
        skills, labels = cols[-2], cols[-1]
        keep = [
            j for j, (s, y) in enumerate(zip(skills, labels, strict=True)) if "-1" not in (s, y)
        ]
        seq = Sequence(
            user=user,
            problems=[problems[j] for j in keep] if problems else None,
            skills=[skills[j] for j in keep],
            labels=[int(labels[j]) for j in keep],
        )
        seq.groups = response_groups(seq)
        out.append(seq)
    return out


def response_groups(seq: Sequence) -> list[int]:
    """Consecutive rows with the same problem and label and a skill new to the group are the
    copies of one multi-skill response (the rule of learnloop's ``merge_repeats``)."""
    groups: list[int] = []
    seen: set[str] = set()
    for j in range(len(seq.skills)):
        if (
            j
            and seq.problems is not None
            and seq.problems[j] == seq.problems[j - 1]
            and seq.labels[j] == seq.labels[j - 1]
            and seq.skills[j] not in seen
        ):
            groups.append(groups[-1])
            seen.add(seq.skills[j])
        else:
            groups.append(j)
            seen = {seq.skills[j]}
    return groups


def n_responses(seqs: list[Sequence]) -> int:
    return sum(len(set(s.groups)) for s in seqs)


def versions(*dists: str) -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in dists:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def write_result(path: str | Path | None, result: dict[str, Any]) -> None:
    text = json.dumps(result)
    if path:
        Path(path).write_text(text)
    else:
        sys.stdout.write(text + "\n")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
