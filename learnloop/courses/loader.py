"""Reading a course-pack folder into a ``CoursePack``, collecting every problem on the way.

Authors fix packs in rounds; reporting all problems at once (not the first) keeps the rounds
few. Problems are sorted by file and line, the order an editor shows them in.
"""

from __future__ import annotations

from pathlib import Path

from learnloop.courses.entries import Entry, check_concept, check_item
from learnloop.courses.materials import MaterialFile, merge_materials, read_material
from learnloop.courses.modelcheck import did_you_mean, join_hints, validate_model
from learnloop.courses.validate import check_pack
from learnloop.courses.yamlio import Source, parse_yaml, read_text
from learnloop.domain import SUPPORTED_LANGUAGES, Course, CoursePack
from learnloop.errors import CoursePackError, Problem

COURSE_FILE = "course.yaml"
CONCEPTS_FILE = "concepts.yaml"
ITEMS_DIR = "items"
MATERIALS_DIR = "materials"


def load_pack(path: str | Path) -> CoursePack:
    """The pack at ``path``; raises ``CoursePackError`` with every problem if any is an error."""
    pack, problems = read_pack(path)
    if pack is None:
        raise CoursePackError(str(path), problems)
    return pack


def validate_pack(path: str | Path) -> list[Problem]:
    """Every problem in the pack at ``path``; no errors (warnings at most) means it loads."""
    return read_pack(path)[1]


def read_pack(path: str | Path) -> tuple[CoursePack | None, list[Problem]]:
    """The pack (None if any problem is an error) and all problems, warnings included."""
    return _Reader(Path(path)).read()


class _Reader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []

    def read(self) -> tuple[CoursePack | None, list[Problem]]:
        if not self.root.is_dir():
            what = "is not a folder" if self.root.exists() else "does not exist"
            hint = "a course pack is a folder with course.yaml, concepts.yaml, items/, materials/"
            return None, [Problem(".", None, f"{self.root} {what}", hint, "missing_file")]
        course, languages = self._course()
        concepts, concepts_ok = self._list_file(CONCEPTS_FILE, "concept")
        items: list[Entry] = []
        items_ok = True
        for file in self._files(ITEMS_DIR, (".yaml", ".yml")):
            entries, ok = self._list_file(f"{ITEMS_DIR}/{file.name}", "item")
            items += entries
            items_ok = items_ok and ok
        for entry in concepts:
            self.problems += check_concept(entry)
        for entry in items:
            self.problems += check_item(entry)
        material_files = self._materials(languages)
        materials, merge_problems = merge_materials(material_files)
        self.problems += merge_problems
        self.problems += check_pack(
            languages=languages,
            course=course,
            concepts=concepts,
            items=items,
            materials=[f.entry for f in material_files],
            concepts_complete=concepts_ok,
            items_complete=items_ok,
        )
        problems = _sorted(self.problems)
        if any(p.severity == "error" for p in problems) or course is None:
            return None, problems
        pack = CoursePack(
            course=course.obj,
            concepts=[e.obj for e in concepts],
            items=[e.obj for e in items],
            materials=materials,
        )
        return pack, problems

    def _source(self, rel: str) -> Source | None:
        path = self.root / rel
        if not path.is_file():
            return None
        text, problem = read_text(path, rel)
        if text is None:
            self.problems += [problem] if problem else []
            return None
        source = parse_yaml(text, rel)
        self.problems += source.problems
        return source if source.ok else None

    def _course(self) -> tuple[Entry | None, list[str]]:
        default = list(SUPPORTED_LANGUAGES)
        if not (self.root / COURSE_FILE).is_file():
            self._missing(COURSE_FILE, "id, title and languages")
            return None, default
        source = self._source(COURSE_FILE)
        if source is None:
            return None, default
        if not isinstance(source.data, dict):
            self.problems.append(
                Problem(
                    COURSE_FILE,
                    source.line(),
                    "course.yaml should be a set of 'field: value' lines",
                    "write at least: id: my-course, title: My course, languages: [en]",
                    "not_a_mapping",
                )
            )
            return None, default
        entry = Entry("course", source, (), source.data)
        entry.obj, problems = validate_model(Course, source, (), "")
        self.problems += problems
        raw = source.data.get("languages")
        languages = [x for x in raw if isinstance(x, str)] if isinstance(raw, list) else []
        for i, lang in enumerate(languages):
            if lang not in SUPPORTED_LANGUAGES:
                self.problems.append(
                    entry.problem(
                        ("languages", i),
                        f"unsupported language {lang!r}",
                        join_hints(
                            did_you_mean(lang, SUPPORTED_LANGUAGES),
                            f"supported: {', '.join(SUPPORTED_LANGUAGES)}",
                        ),
                        "unknown_language",
                    )
                )
        return (entry if entry.obj is not None else None), languages or ["en"]

    def _missing(self, rel: str, what: str) -> None:
        self.problems.append(
            Problem(
                rel,
                None,
                f"the pack has no {rel}",
                f"create {rel} in {self.root} with {what} (see docs/course-packs.md)",
                "missing_file",
            )
        )

    def _list_file(self, rel: str, kind: str) -> tuple[list[Entry], bool]:
        """The objects of a file that holds a list; False if the file could not be read."""
        if not (self.root / rel).is_file():
            self._missing(rel, f"a list of {kind}s")
            return [], False
        source = self._source(rel)
        if source is None:
            return [], False
        data = source.data
        if data is None:
            return [], True
        if not isinstance(data, list):
            hint = f"start each {kind} with '- id: ...'"
            values = list(data.values()) if isinstance(data, dict) else []
            if len(values) == 1 and isinstance(values[0], list):
                hint = f"remove the '{next(iter(data))}:' line and un-indent the list below it"
            message = f"{rel} should be a list of {kind}s"
            self.problems.append(Problem(rel, source.line(), message, hint, "not_a_list"))
            return [], False
        entries = []
        for i, raw in enumerate(data):
            if isinstance(raw, dict):
                entries.append(Entry(kind, source, (i,), raw))
            else:
                self.problems.append(
                    Problem(
                        rel,
                        source.line((i,)),
                        f"{kind} #{i + 1} should be a set of 'field: value' lines, not {raw!r}",
                        "write '- id: ...' and indent the other fields below it",
                        "not_a_mapping",
                    )
                )
        return entries, True

    def _files(self, folder: str, suffixes: tuple[str, ...]) -> list[Path]:
        path = self.root / folder
        if not path.is_dir():
            return []
        return sorted(p for p in path.iterdir() if p.is_file() and p.name.endswith(suffixes))

    def _materials(self, languages: list[str]) -> list[MaterialFile]:
        files = []
        for path in self._files(MATERIALS_DIR, (".md",)):
            material, problems = read_material(path, f"{MATERIALS_DIR}/{path.name}", languages)
            self.problems += problems
            if material is not None:
                files.append(material)
        return files


def _sorted(problems: list[Problem]) -> list[Problem]:
    def rank(p: Problem) -> tuple[int, str, int]:
        order = {COURSE_FILE: 0, CONCEPTS_FILE: 1}.get(p.file)
        if order is None:
            order = 2 if p.file.startswith(ITEMS_DIR + "/") else 3
        return order, p.file, p.line or 0

    return sorted(dict.fromkeys(problems), key=rank)
