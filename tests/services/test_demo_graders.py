"""The demo grades free text out of the box: sample answers, a grader per course, the API."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from learnloop.courses import load_pack
from learnloop.domain import ItemType, pick
from learnloop.services import Backend, graders
from learnloop.services.demo import demo_course_paths, setup_demo
from learnloop.services.demo_graders import (
    DEMO_GRADER_DATA,
    DIGEST_KEY,
    demo_data_file,
    ensure_demo_grader,
)
from learnloop.services.retrain import TEST_FILE, TRAIN_FILE, recorded_data
from learnloop.settings import Settings
from learnloop.storage.tables import CourseRow, GraderModelRow
from learnloop.training.readers import read_table
from learnloop.web import create_app

COURSES = ("fractions", "photosynthesis")

# --- the sample answers -------------------------------------------------------------------


@pytest.mark.parametrize("path", demo_course_paths(), ids=lambda p: p.name)
def test_every_free_text_item_has_labelled_answers_in_both_languages(path: Path) -> None:
    pack = load_pack(path)
    items = {i.id: i for i in pack.items if i.type is ItemType.FREE_TEXT}
    data_file = demo_data_file(pack.course.id)
    assert items and data_file is not None, f"no sample answers for {pack.course.id}"
    data = read_table(data_file, label_set="2way")
    labels: dict[tuple[str, str], Counter[str]] = {}
    for ex in data:
        assert ex.question_id in items, f"{ex.source}: no free-text item {ex.question_id!r}"
        assert ex.language in ("en", "zh"), ex.source
        item = items[ex.question_id]
        assert ex.question == pick(item.prompt, ex.language), f"{ex.source}: not the item's prompt"
        assert ex.references == tuple(pick(r, ex.language) for r in item.reference_answers), (
            f"{ex.source}: not the item's reference answers"
        )
        assert ex.answer.strip() and ex.label in ("correct", "incorrect"), ex.source
        labels.setdefault((ex.question_id, ex.language), Counter())[ex.label] += 1
    assert set(labels) == {(i, lang) for i in items for lang in ("en", "zh")}
    for (item_id, lang), counts in labels.items():
        assert counts["correct"] >= 3 and counts["incorrect"] >= 3, (item_id, lang, counts)
        assert 6 <= sum(counts.values()) <= 10, (item_id, lang, counts)
    assert len({ex.id for ex in data}) == len(data)
    assert len({(ex.question_id, ex.language, ex.answer) for ex in data}) == len(data)


def test_every_data_file_belongs_to_a_demo_course() -> None:
    names = {p.name for p in demo_course_paths()}
    assert {f.stem for f in DEMO_GRADER_DATA.glob("*.jsonl")} == names


# --- the demo set-up ----------------------------------------------------------------------


class Demo:
    def __init__(self, backend: Backend, lines: list[str]) -> None:
        self.backend, self.lines = backend, lines
        self.app = create_app(backend)

    def client(self, username: str, password: str) -> TestClient:
        c = TestClient(self.app)
        r = c.post(
            "/api/v1/auth/login",
            json={"username": username, "password": password, "kind": "api"},
        )
        assert r.status_code == 200, r.text
        c.headers["Authorization"] = f"Bearer {r.json()['token']}"
        return c

    def models(self, course: str) -> list[GraderModelRow]:
        with self.backend.transaction() as s:
            course_id = s.scalar(select(CourseRow.id).where(CourseRow.key == course))
            rows = list(
                s.scalars(
                    select(GraderModelRow)
                    .where(GraderModelRow.course_id == course_id)
                    .order_by(GraderModelRow.id)
                )
            )
            s.expunge_all()
            return rows


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo set up once on a SQLite file, as ``learnloop demo`` does."""
    root = tmp_path_factory.mktemp("demo")
    settings = Settings(database_url=f"sqlite:///{root / 'learnloop.db'}", data_dir=root / "data")
    backend = Backend.open(settings, check_schema=False)
    try:
        yield Demo(backend, setup_demo(backend))
    finally:
        backend.close()


def answer(client: TestClient, course: str, item: str, text: str, lang: str) -> dict[str, Any]:
    r = client.post(
        "/api/v1/attempts",
        json={"course_id": course, "item_id": item, "response": text, "language": lang},
    )
    assert r.status_code == 201, r.text
    grade: dict[str, Any] = r.json()["grade"]
    assert grade["grader"] == "learned.tfidf", grade  # not "pending.teacher"
    return grade


def test_the_demo_trains_a_grader_per_course_and_says_how_good_it_is(demo: Demo) -> None:
    for course in COURSES:
        [line] = [x for x in demo.lines if x.startswith(f"grader for {course!r}")]
        assert re.fullmatch(
            rf"grader for '{course}' trained: tfidf on \d+ sample answers \(en, zh\); "
            r"held-out accuracy 0\.\d\d \(\d+/\d+ answers it never saw\), macro-F1 0\.\d\d; "
            r"active",
            line,
        ), line
        [model] = demo.models(course)
        assert model.active and model.kind == "tfidf" and model.label_set == "2way"
        metrics = model.metrics
        assert metrics["heldout_examples"] > 0 and 0.5 < metrics["heldout"]["accuracy"] <= 1
        assert set(metrics["heldout_by_language"]) == {"en", "zh"}
        folder = demo.backend.settings.data_dir / model.path
        train = recorded_data(folder, TRAIN_FILE, "2way")
        test = recorded_data(folder, TEST_FILE, "2way")  # what a retraining measures on
        assert train is not None and test is not None
        assert len(train) == metrics["train_examples"] and len(test) == metrics["heldout_examples"]
        assert not {ex.id for ex in train} & {ex.id for ex in test}


def test_running_the_demo_again_trains_nothing(demo: Demo) -> None:
    lines = setup_demo(demo.backend)
    for course in COURSES:
        assert any(x.startswith(f"grader for {course!r} up to date (model #") for x in lines)
        assert len(demo.models(course)) == 1


def test_a_right_english_answer_is_graded_and_told_what_it_covered(demo: Demo) -> None:
    student = demo.client("student", "student-demo")
    grade = answer(
        student,
        "photosynthesis",
        "chlorophyll-ft-1",
        "Leaves have chlorophyll in them. It absorbs red and blue light and reflects green "
        "light, which is what reaches our eyes.",
        "en",
    )
    assert grade["verdict"] == "correct" or grade["provisional"], grade
    assert "You covered" in grade["feedback"]
    assert "The green light is reflected from the leaf into our eyes" in grade["feedback"]


def test_a_clearly_wrong_answer_is_not_graded_correct(demo: Demo) -> None:
    student = demo.client("student", "student-demo")
    grade = answer(
        student, "fractions", "like-5", "Leo is right because 1 + 2 = 3 and 5 + 5 = 10.", "en"
    )
    assert grade["verdict"] != "correct", grade
    assert grade["feedback"].startswith("Not quite.")


def test_a_chinese_answer_gets_chinese_feedback(demo: Demo) -> None:
    xiaoming = demo.client("xiaoming", "xiaoming-demo")
    grade = answer(
        xiaoming,
        "photosynthesis",
        "chlorophyll-ft-1",
        "叶片含有叶绿素，叶绿素吸收红光和蓝紫光，反射绿光，绿光进入眼睛，所以是绿色。",
        "zh",
    )
    assert grade["verdict"] == "correct" or grade["provisional"], grade
    assert "你答到了" in grade["feedback"]
    assert not re.search(r"[A-Za-z]{3,}", grade["feedback"]), grade["feedback"]


def test_changed_answers_train_a_new_grader_that_never_displaces_a_teachers(
    demo: Demo, tmp_path: Path
) -> None:
    original = demo_data_file("fractions")
    assert original is not None
    [first] = demo.models("fractions")
    changed = tmp_path / "fractions.jsonl"
    rows = original.read_text(encoding="utf-8").splitlines()
    row = json.loads(rows[0])
    rows.append(json.dumps({**row, "id": "extra", "answer": "It must be equal parts: no."}))
    changed.write_text("\n".join(rows) + "\n", encoding="utf-8")

    report = ensure_demo_grader(demo.backend, course="fractions", data_file=changed)
    assert report.trained and report.active
    assert [m.active for m in demo.models("fractions")] == [False, True]
    assert report.summary().endswith("; active")

    # a model a teacher registered is active: a demo model never replaces it
    copy = tmp_path / "teachers-model"
    shutil.copytree(demo.backend.settings.data_dir / first.path, copy)
    with demo.backend.transaction() as s:
        course = s.scalar(select(CourseRow).where(CourseRow.key == "fractions"))
        teachers = graders.import_model(
            s, data_dir=demo.backend.settings.data_dir, course=course, source=copy
        )
        assert teachers.active and DIGEST_KEY not in teachers.metrics
    again = ensure_demo_grader(demo.backend, course="fractions", data_file=original)
    assert not again.trained and not again.active and again.model_id == first.id
    rows.append(json.dumps({**row, "id": "extra-2", "answer": "Equal parts matter."}))
    changed.write_text("\n".join(rows) + "\n", encoding="utf-8")
    third = ensure_demo_grader(demo.backend, course="fractions", data_file=changed)
    assert third.trained and not third.active
    assert "not activated: a grader a teacher trained or registered is active" in third.summary()

    # a registered demo model whose folder is gone is trained again in place
    shutil.rmtree(demo.backend.settings.data_dir / first.path)
    restored = ensure_demo_grader(demo.backend, course="fractions", data_file=original)
    assert restored.trained and restored.model_id == first.id and not restored.active
    assert (demo.backend.settings.data_dir / first.path / "config.json").is_file()

    with demo.backend.transaction() as s:  # leave the demo as the other tests expect it
        demo_model = s.get(GraderModelRow, first.id)
        assert demo_model is not None
        graders.activate(s, demo_model)
