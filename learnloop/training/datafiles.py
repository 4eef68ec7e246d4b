"""Which reader a path needs, and several files joined into one dataset.

People point the command line at whatever they have: a folder of SemEval XML files, a CSV a
teacher exported, the Chinese LE folder. ``detect_format`` tells them apart by what is there
(and says how to choose when it cannot), ``read_answers`` reads any of them with the options
that apply, and ``join`` puts several together in the one label set they share.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from learnloop.errors import InvalidInputError
from learnloop.training.examples import GradingDataset
from learnloop.training.readers import (
    FINENESS,
    FORMATS,
    LE_SPLITS,
    read_chinese_le,
    read_semeval,
    read_table,
)

DATA_FORMATS = ("semeval", "table", "csv", "tsv", "jsonl", "chinese-le")
"""``table`` reads CSV, TSV or JSONL by the file's extension; ``csv``, ``tsv`` and ``jsonl``
name the kind when the extension does not."""


def detect_format(path: str | Path) -> str:
    """``semeval`` for XML (a file or a folder of them), ``table`` for a CSV, TSV or JSONL
    file, ``chinese-le`` for the LE folder (it has ``qa.csv``) or one of its split files."""
    path = Path(path)
    if path.is_dir():
        if (path / "qa.csv").is_file():
            return "chinese-le"
        if any(p.suffix.lower() == ".xml" for p in path.iterdir()):
            return "semeval"
        raise InvalidInputError(
            f"{path}: cannot tell what this folder holds (no .xml files, no qa.csv); point at "
            "a folder of SemEval XML files, the Chinese LE folder, or a CSV/TSV/JSONL file"
        )
    if path.suffix.lower() == ".xml":
        return "semeval"
    if (path.parent / "qa.csv").is_file() and path.name in LE_SPLITS.values():
        return "chinese-le"
    if path.suffix.lower() in FORMATS:
        return "table"
    raise InvalidInputError(
        f"{path}: cannot tell the format from the extension {path.suffix!r}; pass the format "
        f"(one of {', '.join(DATA_FORMATS)})"
    )


def read_answers(
    path: str | Path,
    *,
    fmt: str | None = None,
    five_way_gold: str | Path | None = None,
    label_set: str | None = None,
    columns: Mapping[str, str] | None = None,
    le_split: str = "train",
    labelled: bool = True,
) -> GradingDataset:
    """Answers from ``path`` in format ``fmt`` (detected when ``None``).

    ``five_way_gold`` applies to SemEval files, ``columns`` to tables and ``le_split`` to the
    LE folder (a file of the LE folder is read as it is); an option given for a format that
    has no use for it is an error rather than silently ignored.
    """
    path = Path(path)
    kind = fmt or detect_format(path)
    if kind not in DATA_FORMATS:
        raise InvalidInputError(f"unknown format {kind!r}; choose one of {', '.join(DATA_FORMATS)}")
    if columns and kind in {"semeval", "chinese-le"}:
        raise InvalidInputError(
            f"{path} is {kind} data, whose fields are fixed; column names apply to tables only"
        )
    if five_way_gold is not None and kind != "semeval":
        raise InvalidInputError(
            f"{path} is {kind} data; 5-way gold tables apply to SemEval XML files only"
        )
    if kind == "semeval":
        return read_semeval(path, five_way_gold=five_way_gold, label_set=label_set)
    if kind == "chinese-le":
        if label_set is not None:
            raise InvalidInputError(
                f"{path}: the Chinese LE set has scores in [0, 1], not labels; leave the label "
                "set out"
            )
        if path.is_file():
            return read_chinese_le(path.parent, path.name)
        return read_chinese_le(path, le_split)
    table_kind = None if kind == "table" else kind
    if table_kind is None and path.suffix.lower() not in FORMATS:
        raise InvalidInputError(
            f"{path}: cannot tell a table's kind from the extension {path.suffix!r}; "
            "name it: csv, tsv or jsonl"
        )
    return read_table(path, fmt=table_kind, columns=columns, label_set=label_set, labelled=labelled)


def join(datasets: Sequence[GradingDataset]) -> tuple[GradingDataset, str]:
    """One dataset of all of ``datasets``, and a note when labels had to be folded.

    Labelled sets in different label sets meet in the coarsest of them (a 3-way table and
    2-way SemEval files train a 2-way grader); labelled and score-only sets do not mix.
    """
    if not datasets:
        raise InvalidInputError("no data given; pass at least one file or folder")
    if len(datasets) == 1:
        return datasets[0], ""
    sets = {d.label_set for d in datasets}
    if None in sets and len(sets) > 1:
        raise InvalidInputError(
            "cannot train on labels and scores at once: "
            + ", ".join(f"{d.name} has {d.label_set or 'scores'}" for d in datasets)
        )
    note = ""
    if len(sets) > 1:
        coarsest = min((s for s in sets if s is not None), key=FINENESS.index)
        note = f"labels of {', '.join(sorted(s for s in sets if s))} folded into {coarsest}"
        datasets = [d.with_label_set(coarsest) for d in datasets]
    joined = datasets[0]
    for d in datasets[1:]:
        joined = joined + d
    return joined, note


def describe(data: GradingDataset) -> str:
    """One line on what was read: answers, questions, and the labels or scores."""
    questions = len({ex.question_id for ex in data})
    head = f"{len(data):,} answers to {questions:,} question{'s' if questions != 1 else ''}"
    if data.label_set is None:
        scores = [ex.score for ex in data if ex.score is not None]
        if not scores:
            return f"{head}, unlabelled"
        return f"{head}, scores in [0, 1] (mean {sum(scores) / len(scores):.3f})"
    counts = Counter(ex.label for ex in data if ex.label is not None)
    shares = ", ".join(f"{label} {counts[label]:,}" for label in data.labels if counts[label])
    return f"{head}, {data.label_set} labels ({shares or 'none'})"
