"""Readers that turn graded-answer files into ``GradingDataset``s.

Three sources: the SemEval-2013 Task 7 XML files (Beetle, SciEntsBank), with the 5-way gold
tables; any CSV, TSV or JSONL table a teacher exports (``read_table``); and the Chinese LE set
(logistics engineering, scores in [0, 1]). Every problem is an ``InvalidInputError`` naming the
file, the line and how to fix it, because these files come from users and other projects.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

from learnloop.errors import InvalidInputError
from learnloop.training.examples import LABEL_SETS, GradingDataset, GradingExample, convert_label

FINENESS = ("2way", "3way", "5way")
"""Label sets from coarsest to finest: a finer label converts to a coarser set, never back."""

TO_ANY = frozenset(label for labels in LABEL_SETS.values() for label in labels)
"""Every label of every SemEval label set."""

REFERENCE_RANK = {"best": 0, "good": 1, "minimal": 2, "keyword": 3}
"""Beetle ranks its reference answers; graders treat the first reference as the best one."""


def _error(path: Path | str, line: int | None, message: str, hint: str = "") -> InvalidInputError:
    where = f"{path}:{line}" if line else str(path)
    text = f"{where}: {message}"
    return InvalidInputError(
        f"{text} (hint: {hint})" if hint else text, details={"file": str(path), "line": line}
    )


def _norm_label(value: str) -> str:
    return "_".join(value.strip().lower().replace("-", " ").split())


def _coarsest_holding(labels: set[str]) -> str | None:
    return next((name for name in FINENESS if labels <= set(LABEL_SETS[name])), None)


# --- SemEval-2013 Task 7 ------------------------------------------------------------------


@dataclass
class _Element:
    tag: str
    attrib: dict[str, str]
    line: int
    children: list[_Element] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())

    def all(self, tag: str) -> list[_Element]:
        return [c for c in self.children if c.tag == tag]

    def first(self, tag: str) -> _Element | None:
        return next(iter(self.all(tag)), None)


def _parse_xml(path: Path) -> _Element:
    """A small tree with line numbers (ElementTree has none), refusing entity declarations."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _error(path, None, f"cannot read the file ({exc.strerror or exc})") from exc
    parser = expat.ParserCreate()
    parser.buffer_text = True
    stack: list[_Element] = []
    roots: list[_Element] = []

    def start(tag: str, attrib: dict[str, str]) -> None:
        element = _Element(tag, attrib, parser.CurrentLineNumber)
        (stack[-1].children if stack else roots).append(element)
        stack.append(element)

    def end(tag: str) -> None:
        stack.pop()

    def chars(text: str) -> None:
        if stack:
            stack[-1].parts.append(text)

    def entity(*args: object) -> None:
        raise _error(
            path,
            parser.CurrentLineNumber,
            "entity declarations are not allowed in answer files",
            "remove the <!ENTITY ...> lines from the DOCTYPE",
        )

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.EntityDeclHandler = entity
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise _error(
            path,
            exc.lineno,
            f"not well-formed XML ({expat.errors.messages[exc.code]}, column {exc.offset + 1})",
            "fix the XML there; every element needs its closing tag and & must be &amp;",
        ) from None
    return roots[0]


def _xml_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise _error(path, None, "no such file or folder", "pass an XML file or a folder of them")
    files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".xml" and p.is_file())
    if not files:
        folders = sorted(p.name for p in path.iterdir() if p.is_dir())
        hint = f"it has the folders {', '.join(folders)}; point at one" if folders else ""
        raise _error(path, None, "no .xml files in this folder", hint)
    return files


@dataclass(frozen=True)
class _Gold:
    label: str
    file: Path
    line: int


def _gold_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in {".txt", ".tsv"})
        if files:
            return files
    raise _error(
        path, None, "no 5-way gold table here", "pass a tab-separated file or a folder of .txt"
    )


def read_five_way_gold(path: str | Path) -> dict[str, _Gold]:
    """Student answer id -> 5-way label from SemEval gold tables (``id ... accuracy`` TSVs)."""
    gold: dict[str, _Gold] = {}
    for file in _gold_files(Path(path)):
        for line, row in _tsv_rows(file, required=("id", "accuracy")):
            label = _norm_label(row["accuracy"])
            if label not in LABEL_SETS["5way"]:
                raise _error(
                    file,
                    line,
                    f"{row['accuracy']!r} is not a 5-way label",
                    f"use one of {', '.join(LABEL_SETS['5way'])}",
                )
            answer_id = row["id"].strip()
            seen = gold.get(answer_id)
            if seen is not None and seen.label != label:
                raise _error(
                    file,
                    line,
                    f"answer {answer_id!r} is {label!r} here but {seen.label!r} in "
                    f"{seen.file}:{seen.line}",
                    "keep one gold table per data set",
                )
            gold[answer_id] = _Gold(label, file, line)
    return gold


def _tsv_rows(file: Path, *, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        with file.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh, delimiter="\t")
            header = [h.strip() for h in reader.fieldnames or []]
            reader.fieldnames = header
            missing = [c for c in required if c not in header]
            if missing:
                raise _error(
                    file,
                    1,
                    f"no column {missing[0]!r} (columns: {', '.join(header) or 'none'})",
                    f"the header row must name the tab-separated columns {', '.join(required)}",
                )
            for row in reader:
                if any(row.get(c) is None for c in required):
                    raise _error(file, reader.line_num, f"expected {len(header)} fields")
                yield reader.line_num, row
    except OSError as exc:
        raise _error(file, None, f"cannot read the file ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _error(file, None, f"not a readable tab-separated file ({exc})") from exc


@dataclass
class _RawAnswer:
    example: GradingExample
    label: str | None
    file: Path
    line: int


def read_semeval(
    path: str | Path,
    *,
    five_way_gold: str | Path | None = None,
    label_set: str | None = None,
) -> GradingDataset:
    """SemEval-2013 Task 7 answers from one XML file or a folder of them (one per question).

    The files' ``accuracy`` attributes hold 2-way labels in the distributed Beetle and
    SciEntsBank sets; ``five_way_gold`` (a gold table or a folder of them) gives each answer its
    5-way label instead, and an answer missing from it is an error, because a silently smaller
    data set would shift every score measured on it. ``label_set`` defaults to the finest the
    input holds (``5way`` with gold, else what the files hold) and may name a coarser one.
    References are ordered best first (Beetle's BEST, GOOD, MINIMAL, then KEYWORD).
    """
    root = Path(path)
    files = _xml_files(root)
    gold = read_five_way_gold(five_way_gold) if five_way_gold is not None else None
    raw = [answer for file in files for answer in _read_question(file)]
    xml_labels = {a.label for a in raw if a.label is not None}
    xml_set = _coarsest_holding(xml_labels)
    if xml_labels and xml_set is None:
        first = next(a for a in raw if a.label and a.label not in LABEL_SETS["5way"])
        raise _error(
            first.file,
            first.line,
            f"the accuracy {first.label!r} mixes label sets with the other answers' labels "
            f"({', '.join(sorted(xml_labels))})",
            "use labels of one SemEval label set per data set",
        )
    source = "5way" if gold is not None else xml_set or "2way"
    target = label_set or source
    if target not in LABEL_SETS:
        raise InvalidInputError(
            f"unknown label set {target!r}; choose one of {', '.join(LABEL_SETS)}"
        )
    if FINENESS.index(target) > FINENESS.index(source):
        raise InvalidInputError(
            f"{root} holds {source} labels, so it cannot give {target} labels; pass "
            "five_way_gold= with the data set's 5-way gold table, or ask for a coarser label set"
        )
    examples: list[GradingExample] = []
    for answer in raw:
        label = answer.label
        if gold is not None:
            label = _gold_label(answer, gold, five_way_gold, xml_set)
        if label is None:
            raise _error(
                answer.file,
                answer.line,
                f"student answer {answer.example.id!r} has no accuracy attribute",
                "pass five_way_gold= with the gold labels of this test set",
            )
        examples.append(_with(answer.example, label=convert_label(label, target)))
    return GradingDataset(
        examples=examples,
        label_set=target,
        name=root.stem,
        meta={
            "format": "semeval2013",
            "path": str(root),
            "labels_from": str(five_way_gold) if gold is not None else "xml",
        },
    )


def _with(example: GradingExample, **changes: Any) -> GradingExample:
    return GradingExample(**{**example.__dict__, **changes})


def _gold_label(
    answer: _RawAnswer, gold: dict[str, _Gold], gold_path: object, xml_set: str | None
) -> str:
    found = gold.get(answer.example.id)
    if found is None:
        raise _error(
            answer.file,
            answer.line,
            f"student answer {answer.example.id!r} is not in the 5-way gold table {gold_path}",
            "pass the gold table of this data set (e.g. beetle_5way_trainingGold.txt for "
            "Beetle training), or leave five_way_gold out to read the files' own labels",
        )
    if (
        answer.label is not None
        and xml_set is not None
        and convert_label(found.label, xml_set) != answer.label
    ):
        raise _error(
            answer.file,
            answer.line,
            f"answer {answer.example.id!r} is {answer.label!r} here but {found.label!r} in "
            f"{found.file}:{found.line}",
            "the gold table seems to belong to another data set",
        )
    return found.label


def _read_question(file: Path) -> list[_RawAnswer]:
    root = _parse_xml(file)
    if root.tag != "question":
        raise _error(
            file,
            root.line,
            f"the root element is <{root.tag}>, not <question>",
            "is this a SemEval-2013 Task 7 file?",
        )
    question_id = root.attrib.get("id", "").strip()
    if not question_id:
        raise _error(file, root.line, "<question> has no id attribute", 'add id="..."')
    text_element = root.first("questionText")
    refs_element = root.first("referenceAnswers")
    ref_elements = refs_element.all("referenceAnswer") if refs_element is not None else []
    ranked = sorted(
        ref_elements,
        key=lambda r: REFERENCE_RANK.get(r.attrib.get("category", "").lower(), 0),
    )
    references = tuple(r.text for r in ranked if r.text)
    if not references:
        raise _error(
            file,
            root.line if refs_element is None else refs_element.line,
            f"question {question_id!r} has no reference answer",
            "add <referenceAnswers><referenceAnswer>...</referenceAnswer></referenceAnswers>",
        )
    answers_element = root.first("studentAnswers")
    out: list[_RawAnswer] = []
    elements = answers_element.all("studentAnswer") if answers_element is not None else []
    for element in elements:
        answer_id = element.attrib.get("id", "").strip()
        if not answer_id:
            raise _error(file, element.line, "<studentAnswer> has no id attribute")
        accuracy = element.attrib.get("accuracy")
        label = _norm_label(accuracy) if accuracy is not None else None
        if label is not None and label not in TO_ANY:
            raise _error(
                file,
                element.line,
                f"unknown accuracy {accuracy!r}",
                f"SemEval labels are {', '.join(sorted(TO_ANY))}",
            )
        example = GradingExample(
            question_id=question_id,
            question=text_element.text if text_element is not None else "",
            references=references,
            answer=element.text,
            id=answer_id,
            source=f"{file}:{element.line}",
        )
        out.append(_RawAnswer(example, label, file, element.line))
    return out


# --- generic tables -----------------------------------------------------------------------

FIELDS = ("question_id", "question", "reference", "answer", "label", "score", "id", "language")
"""What ``read_table`` reads; ``columns`` maps any of them to the file's own column names."""

FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def read_table(
    path: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    label_set: str | None = None,
    fmt: str | None = None,
    reference_sep: str = "||",
    language: str = "en",
    labelled: bool = True,
) -> GradingDataset:
    """Graded answers from a CSV, TSV or JSONL file with one answer per row.

    ``answer`` and ``reference`` are required (several references in one cell are separated by
    ``reference_sep``, the best first; a JSONL value may also be a list), and so is ``label`` or
    ``score`` (a number in [0, 1]) on every row. ``label_set`` defaults to the coarsest SemEval
    set holding every label; finer labels convert to a coarser ``label_set``. Without a
    ``question_id`` column, answers sharing a question and references share a generated id.
    ``labelled=False`` reads answers still to be graded: rows may then have neither.
    """
    path = Path(path)
    kind = fmt or FORMATS.get(path.suffix.lower())
    if kind not in {"csv", "tsv", "jsonl"}:
        raise _error(
            path,
            None,
            f"cannot tell the format from the extension {path.suffix!r}"
            if fmt is None
            else f"unknown format {fmt!r}",
            "pass fmt='csv', 'tsv' or 'jsonl'",
        )
    unknown = sorted(set(columns or {}) - set(FIELDS))
    if unknown:
        raise InvalidInputError(
            f"unknown field(s) {unknown} in columns=; the fields are {', '.join(FIELDS)}"
        )
    if label_set is not None and label_set not in LABEL_SETS:
        raise InvalidInputError(
            f"unknown label set {label_set!r}; choose one of {', '.join(LABEL_SETS)}"
        )
    names = {f: (columns or {}).get(f, f) for f in FIELDS}
    rows = _json_rows(path) if kind == "jsonl" else _csv_rows(path, kind)
    # every JSON object may have other keys; a CSV header is checked once
    table = _Table(
        path, names, label_set, reference_sep, language, per_row=kind == "jsonl", labelled=labelled
    )
    for line, row in rows:
        table.add(line, row)
    return table.dataset(kind)


class _Table:
    """Rows checked one by one, so every error names its line."""

    def __init__(
        self,
        path: Path,
        names: dict[str, str],
        label_set: str | None,
        reference_sep: str,
        language: str,
        *,
        per_row: bool,
        labelled: bool = True,
    ) -> None:
        self.path, self.names, self.label_set = path, names, label_set
        self.reference_sep, self.language = reference_sep, language
        self.rows: list[tuple[int, GradingExample]] = []
        self.question_ids: dict[tuple[str, tuple[str, ...]], str] = {}
        self.checked_columns = False
        self.per_row_columns = per_row
        self.labelled = labelled

    def _check_columns(self, line: int, keys: list[str]) -> None:
        found = ", ".join(keys) or "none"
        for field_ in ("answer", "reference"):
            if self.names[field_] not in keys:
                hint = f"map it with columns={{'{field_}': 'COLUMN'}}"
                if self.path.suffix.lower() == ".csv" and any("\t" in k for k in keys):
                    hint += "; the file looks tab-separated, so pass fmt='tsv'"
                raise _error(
                    self.path,
                    line,
                    f"no column {self.names[field_]!r} for the {field_} field (columns: {found})",
                    hint,
                )
        if self.labelled and self.names["label"] not in keys and self.names["score"] not in keys:
            raise _error(
                self.path,
                line,
                f"neither a {self.names['label']!r} nor a {self.names['score']!r} column "
                f"(columns: {found})",
                "map one with columns={'label': 'COLUMN'} or columns={'score': 'COLUMN'}",
            )
        if self.label_set is not None and self.names["label"] not in keys:
            raise _error(
                self.path,
                line,
                f"label_set={self.label_set!r} but no {self.names['label']!r} column",
                "map the label column, or leave label_set out for score-only data",
            )
        self.checked_columns = True

    def _cell(self, row: Mapping[str, Any], field_: str) -> str:
        value = row.get(self.names[field_])
        if value is None:
            return ""
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    def add(self, line: int, row: Mapping[str, Any]) -> None:
        if self.per_row_columns or not self.checked_columns:
            self._check_columns(line if self.per_row_columns else 1, [str(k) for k in row])
        raw_refs = row.get(self.names["reference"])
        parts = raw_refs if isinstance(raw_refs, list) else [self._cell(row, "reference")]
        references = tuple(
            r.strip() for p in parts for r in str(p).split(self.reference_sep) if r.strip()
        )
        if not references:
            raise _error(self.path, line, "no reference answer", "every row needs one")
        label = _norm_label(self._cell(row, "label")) or None
        if label is not None and label not in TO_ANY:
            raise _error(
                self.path,
                line,
                f"unknown label {self._cell(row, 'label')!r}"
                + (f" for the {self.label_set} label set" if self.label_set else ""),
                f"use one of {', '.join(LABEL_SETS[self.label_set or '5way'])}"
                + ("" if self.label_set else " (or the 2-way/3-way labels)"),
            )
        if label is not None and self.label_set is not None:
            self._check_convertible(line, label)
        score = self._score(line, row.get(self.names["score"]))
        if label is None and score is None and self.labelled:
            raise _error(self.path, line, "neither a label nor a score", "fill in one of them")
        question = self._cell(row, "question").strip()
        question_id = self._cell(row, "question_id").strip() or self.question_ids.setdefault(
            (question, references), f"q{len(self.question_ids) + 1}"
        )
        example = GradingExample(
            question_id=question_id,
            question=question,
            references=references,
            answer=" ".join(self._cell(row, "answer").split()),
            label=label,
            score=score,
            id=self._cell(row, "id").strip() or f"{self.path.name}:{line}",
            language=self._cell(row, "language").strip() or self.language,
            source=f"{self.path}:{line}",
        )
        self.rows.append((line, example))

    def _check_convertible(self, line: int, label: str) -> None:
        assert self.label_set is not None
        finer = FINENESS[FINENESS.index(self.label_set) :]
        if not any(label in LABEL_SETS[name] for name in finer):
            raise _error(
                self.path,
                line,
                f"unknown label {label!r} for the {self.label_set} label set",
                f"use one of {', '.join(LABEL_SETS[self.label_set])}, or pass a coarser label_set",
            )

    def _score(self, line: int, value: object) -> float | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        score = math.nan
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            with contextlib.suppress(ValueError):
                score = float(value)
        if not 0.0 <= score <= 1.0:
            raise _error(
                self.path,
                line,
                f"score {value!r} is not a number in [0, 1]",
                "scale scores to [0, 1] first (points divided by the maximum)",
            )
        return score

    def dataset(self, kind: str) -> GradingDataset:
        if not self.rows:
            raise _error(self.path, None, "no answers in the file", "one answer per row")
        labels = {ex.label for _, ex in self.rows if ex.label is not None}
        label_set = self.label_set
        if labels and label_set is None:
            label_set = _coarsest_holding(labels)
            if label_set is None:
                line = next(n for n, ex in self.rows if ex.label not in LABEL_SETS["5way"])
                raise _error(
                    self.path,
                    line,
                    f"labels from different label sets ({', '.join(sorted(labels))})",
                    "use one label set's labels, or pass label_set= to convert to a coarser one",
                )
        examples = [
            _with(ex, label=convert_label(ex.label, label_set))
            if ex.label is not None and label_set is not None
            else ex
            for _, ex in self.rows
        ]
        return GradingDataset(
            examples=examples,
            label_set=label_set,
            name=self.path.stem,
            meta={"format": kind, "path": str(self.path)},
        )


def _csv_rows(path: Path, kind: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh, delimiter="\t" if kind == "tsv" else ",")
            header = reader.fieldnames or []
            line = 2
            for row in reader:
                extra = row.pop(None, None)
                if extra is not None or any(v is None for v in row.values()):
                    found = sum(v is not None for v in row.values()) + len(extra or [])
                    raise _error(
                        path,
                        line,
                        f"expected {len(header)} fields, found {found}",
                        "quote cells that contain the separator",
                    )
                yield line, row
                line = reader.line_num + 1
            if not header:
                raise _error(path, 1, "the file is empty", f"start with a header row: {FIELDS}")
    except OSError as exc:
        raise _error(path, None, f"cannot read the file ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise _error(path, None, f"not UTF-8 text ({exc.reason})", "save it as UTF-8") from exc
    except csv.Error as exc:
        raise _error(path, None, f"not a readable {kind.upper()} file ({exc})") from exc


def _json_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        with path.open(encoding="utf-8-sig") as fh:
            for line, text in enumerate(fh, 1):
                if not text.strip():
                    continue
                try:
                    row = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise _error(
                        path, line, f"invalid JSON ({exc.msg})", "one JSON object per line"
                    ) from None
                if not isinstance(row, dict):
                    raise _error(path, line, "not a JSON object", "one JSON object per line")
                yield line, row
    except OSError as exc:
        raise _error(path, None, f"cannot read the file ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise _error(path, None, f"not UTF-8 text ({exc.reason})", "save it as UTF-8") from exc


# --- the Chinese LE set -------------------------------------------------------------------

LE_SPLITS = {"train": "s_train_zh.csv", "eval": "s_eval_zh.csv", "all": "train.csv"}
"""The LE set's files: a 409/176 train/eval split of the 585 answers (which ``all`` holds).
The split is by answer, so most eval questions also appear in train."""


def read_chinese_le(folder: str | Path, split: str = "train") -> GradingDataset:
    """One file of the Chinese LE set (aleversn/SAS-Datasets): scores in [0, 1], language zh.

    ``split`` is ``train``, ``eval``, ``all`` or a file name in ``folder``. Questions come from
    ``qa.csv``; each row's own reference is kept as the reference it was scored against. The
    files repeat a few rows verbatim; they are kept, to match the published counts.
    """
    folder = Path(folder)
    file = folder / LE_SPLITS.get(split, split)
    if not file.is_file():
        raise _error(
            file,
            None,
            "no such LE file",
            f"split is one of {', '.join(LE_SPLITS)} or a file in {folder}",
        )
    questions = {row[0]: row[1] for _, row in _plain_tsv(folder / "qa.csv", 3, quoted=True)}
    examples: list[GradingExample] = []
    for line, (qid, reference, answer, raw_score) in _plain_tsv(file, 4, quoted=False):
        if qid not in questions:
            raise _error(file, line, f"question {qid!r} is not in qa.csv", "is qa.csv complete?")
        try:
            score = float(raw_score)
        except ValueError:
            score = math.nan
        if not 0.0 <= score <= 1.0:
            raise _error(file, line, f"score {raw_score!r} is not a number in [0, 1]")
        examples.append(
            GradingExample(
                question_id=qid,
                question=questions[qid],
                references=(reference.strip(),),
                answer=" ".join(answer.split()),
                score=score,
                id=f"{file.stem}:{line}",
                language="zh",
                source=f"{file}:{line}",
            )
        )
    return GradingDataset(
        examples=examples,
        label_set=None,
        name=f"chinese-le-{split}",
        meta={"format": "chinese-le", "path": str(file)},
    )


def _plain_tsv(file: Path, width: int, *, quoted: bool) -> Iterator[tuple[int, list[str]]]:
    """Header-less tab-separated rows; ``qa.csv`` quotes a few cells, the answer files do not."""
    try:
        with file.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(
                fh, delimiter="\t", quoting=csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE
            )
            line = 1
            for row in reader:
                if row:
                    if len(row) != width:
                        raise _error(
                            file,
                            line,
                            f"expected {width} tab-separated fields, found {len(row)}",
                        )
                    yield line, row
                line = reader.line_num + 1
    except OSError as exc:
        raise _error(file, None, f"cannot read the file ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _error(file, None, f"not a readable tab-separated file ({exc})") from exc
