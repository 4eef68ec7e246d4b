"""Labelled answers for training and measuring free-text graders, and the label sets.

An example is one student answer to one question, with the question, its reference answers
and a label (a verdict of the dataset's label set) and/or a numeric score in [0, 1]. Readers
(``learnloop.training.readers``) turn files into ``GradingDataset``s; every grader (TF-IDF,
fine-tuned encoder) trains on and predicts for these.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from learnloop.errors import InvalidInputError

LABEL_SETS: dict[str, tuple[str, ...]] = {
    "2way": ("incorrect", "correct"),
    "3way": ("incorrect", "contradictory", "correct"),
    "5way": (
        "non_domain",
        "irrelevant",
        "contradictory",
        "partially_correct_incomplete",
        "correct",
    ),
}
"""SemEval-2013 Task 7 label sets, worst first. 5-way folds into 3-way (partially correct,
irrelevant and non-domain answers are ``incorrect``) and 3-way into 2-way (only ``correct``
is correct)."""

TO_3WAY = {
    "correct": "correct",
    "contradictory": "contradictory",
    "partially_correct_incomplete": "incorrect",
    "irrelevant": "incorrect",
    "non_domain": "incorrect",
    "incorrect": "incorrect",
}


def convert_label(label: str, label_set: str) -> str:
    """``label`` (of any SemEval label set) in ``label_set``'s terms."""
    if label_set not in LABEL_SETS:
        raise InvalidInputError(
            f"unknown label set {label_set!r}; choose one of {', '.join(LABEL_SETS)}"
        )
    if label in LABEL_SETS[label_set]:
        return label
    if label not in TO_3WAY:
        raise InvalidInputError(f"label {label!r} belongs to no label set ({label_set} wanted)")
    three = TO_3WAY[label]
    if label_set == "3way":
        return three
    if label_set == "2way":
        return "correct" if three == "correct" else "incorrect"
    raise InvalidInputError(f"cannot turn the coarser label {label!r} into a 5-way label")


@dataclass(frozen=True)
class GradingExample:
    """One labelled (or, for prediction, unlabelled) student answer."""

    question_id: str
    question: str
    references: tuple[str, ...]
    """Reference answers (the best first); at least one for learned grading."""
    answer: str
    label: str | None = None
    score: float | None = None
    """A numeric score in [0, 1] (regression targets, e.g. the Chinese LE set)."""
    id: str = ""
    language: str = "en"
    source: str = ""
    """``file:line`` (or file and element id) the example came from, for error messages."""


@dataclass
class GradingDataset:
    """Examples with the label set their labels come from (``None``: scores only)."""

    examples: list[GradingExample]
    label_set: str | None = "2way"
    name: str = ""
    meta: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.examples)

    def __iter__(self) -> Iterator[GradingExample]:
        return iter(self.examples)

    @property
    def labels(self) -> tuple[str, ...]:
        if self.label_set is None:
            raise InvalidInputError(f"dataset {self.name or '(unnamed)'} has scores, not labels")
        return LABEL_SETS[self.label_set]

    def with_label_set(self, label_set: str) -> GradingDataset:
        """The same answers with labels converted to a coarser label set."""
        return GradingDataset(
            examples=[
                GradingExample(**{**ex.__dict__, "label": convert_label(ex.label, label_set)})
                if ex.label is not None
                else ex
                for ex in self.examples
            ],
            label_set=label_set,
            name=self.name,
            meta=dict(self.meta),
        )

    def subset(self, indices: Sequence[int]) -> GradingDataset:
        return GradingDataset(
            examples=[self.examples[i] for i in indices],
            label_set=self.label_set,
            name=self.name,
            meta=dict(self.meta),
        )

    def __add__(self, other: GradingDataset) -> GradingDataset:
        if other.label_set != self.label_set:
            raise InvalidInputError(
                f"cannot join a {self.label_set} dataset with a {other.label_set} one; "
                "convert one with with_label_set() first"
            )
        return GradingDataset(
            examples=[*self.examples, *other.examples],
            label_set=self.label_set,
            name=" + ".join(filter(None, [self.name, other.name])),
        )
