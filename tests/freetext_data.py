"""Answers to the tiny course's free-text item q3, labelled, and a weak first grader for it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from learnloop.grading.learned import TfidfGrader
from learnloop.services import Backend, graders
from learnloop.services.retrain import DATA_DIR, TRAIN_FILE, write_dataset
from learnloop.storage.tables import CourseRow
from learnloop.training.examples import GradingDataset, GradingExample

QUESTION = "Why is 2/4 the same as 1/2?"
REFERENCES = ("Both numerator and denominator are doubled.",)

GOOD = [
    "both the numerator and the denominator are doubled",
    "you double the numerator and the denominator",
    "the numerator and denominator were each doubled",
    "the top and bottom are both multiplied by 2",
    "2/4 is 1/2 with numerator and denominator doubled",
    "multiply numerator and denominator of 1/2 by 2",
    "numerator and denominator are both doubled so the value stays the same",
    "because 1x2=2 and 2x2=4, both parts doubled",
    "doubling numerator and denominator keeps the fraction equal",
    "both numbers doubled",
    "top and bottom times two",
    "each part of 1/2 is multiplied by two",
    "the numerator and the denominator are multiplied by the same number 2",
    "both the top number and the bottom number are doubled",
    "we doubled the top and doubled the bottom",
    "2 is double 1 and 4 is double 2",
    "numerator times 2 and denominator times 2",
    "the fraction is the same because top and bottom both doubled",
    "1/2 times 2/2 is 2/4",
    "double both numbers in 1/2",
    "numerator doubled, denominator doubled",
    "it is multiplied by 2 on top and on the bottom",
    "they are equivalent because you doubled both the numerator and denominator",
    "the top doubles and the bottom doubles",
]
BAD = [
    "because 4 is bigger than 2",
    "they are not the same",
    "i don't know",
    "2/4 is bigger",
    "you add 2 to the top",
    "the denominator is doubled only",
    "because 2 plus 2 is 4",
    "the numerator stays the same",
    "4 - 2 = 2",
    "half of 4 is 2 so it is smaller",
    "only the bottom number changes",
    "you add 2 to both numbers",
    "the top is 2 and the bottom is 4",
    "because 2/4 has bigger numbers",
    "you subtract 2",
    "only the numerator is doubled",
    "4 is two more than 2",
    "the numbers are different so they are not equal",
    "2/4 is smaller than 1/2",
    "because 1 + 1 = 2",
    "the bottom number is added",
    "2 divided by 4 is 2",
    "you add the numerator to the denominator",
    "it is just a guess",
]
BASE = 3
"""The first grader learns from the first three right and three wrong answers only."""

CONFIDENT = GOOD[0]
"""An answer the weak grader is sure about (P(correct) > 0.8)."""
UNSURE = "top and bottom times two"
"""An answer it is not sure about (P(correct) near 0.5)."""


def labelled(answers: list[str], label: str, start: int = 0) -> list[GradingExample]:
    return [
        GradingExample("q3", QUESTION, REFERENCES, a, label=label, id=f"{label}-{start + i}")
        for i, a in enumerate(answers)
    ]


def base_data() -> GradingDataset:
    return GradingDataset(
        labelled(GOOD[:BASE], "correct") + labelled(BAD[:BASE], "incorrect"), name="q3-base"
    )


def register_weak_grader(backend: Backend, course: str = "tiny") -> int:
    """Fit the weak TF-IDF grader, save it with its training data inside the data folder,
    and make it the course's active model; returns its registry id."""
    data_dir = backend.settings.data_dir
    path = Path(data_dir) / "seed-grader"
    data = base_data()
    TfidfGrader().fit(data).save(path)
    write_dataset(path / DATA_DIR / TRAIN_FILE, data)
    with backend.transaction() as s:
        row = s.scalar(select(CourseRow).where(CourseRow.key == course))
        entry = graders.import_model(s, data_dir=data_dir, course=row, source=path, name="seed")
        return entry.id
