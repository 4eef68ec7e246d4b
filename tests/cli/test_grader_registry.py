"""``learnloop grader register`` / ``retrain`` and ``learnloop worker`` on a real database."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select

from learnloop.cli import cli
from learnloop.grading.learned import TfidfGrader
from learnloop.services import Backend, courses
from learnloop.services.retrain import write_dataset
from learnloop.settings import get_settings
from learnloop.storage.tables import GraderModelRow, JobRow
from learnloop.training.examples import GradingDataset
from tests.freetext_data import BAD, GOOD, base_data, labelled


def run(*args: str) -> Result:
    get_settings.cache_clear()
    return CliRunner().invoke(cli, list(args))


def test_register_then_retrain_from_answer_files(
    backend: Backend, tiny_pack: Path, tmp_path: Path
) -> None:
    with backend.transaction() as s:
        courses.import_path(s, path=tiny_pack)
    outside = tmp_path / "my-grader"
    TfidfGrader().fit(base_data()).save(outside)

    registered = run("grader", "register", "--course", "tiny", "--model", str(outside))
    assert registered.exit_code == 0, registered.output
    assert "as the active grader of course tiny" in registered.output
    with backend.transaction() as s:
        [model] = s.scalars(select(GraderModelRow)).all()
        assert model.active and model.kind == "tfidf" and model.name == "my-grader"
        copied = backend.settings.data_dir / model.path
    assert copied.is_relative_to(backend.settings.data_dir) and (copied / "config.json").is_file()

    train, test = tmp_path / "train.jsonl", tmp_path / "test.jsonl"
    write_dataset(
        train, GradingDataset(labelled(GOOD[:14], "correct") + labelled(BAD[:14], "incorrect"))
    )
    write_dataset(
        test, GradingDataset(labelled(GOOD[14:], "correct") + labelled(BAD[14:], "incorrect"))
    )
    retrained = run(
        "grader",
        "retrain",
        "--course",
        "tiny",
        "--kind",
        "tfidf",
        "--base-data",
        str(train),
        "--base-test",
        str(test),
    )
    assert retrained.exit_code == 0, retrained.output
    assert "reason: the new model is " in retrained.output
    assert "held-out answers" in retrained.output
    with backend.transaction() as s:
        assert [j.status for j in s.scalars(select(JobRow))] == ["succeeded"]
        models = s.scalars(select(GraderModelRow).order_by(GraderModelRow.id)).all()
        assert len(models) == 2 and sum(m.active for m in models) == 1
        assert models[1].metrics["heldout_examples"] == 2 * (len(GOOD) - 14)


def test_errors_are_one_line(backend: Backend, tmp_path: Path) -> None:
    neither = run("grader", "register", "--model", str(tmp_path))
    assert neither.exit_code == 1
    assert neither.output.strip() == "error: pass either --course COURSE_ID or --default"
    not_a_model = run("grader", "register", "--default", "--model", str(tmp_path))
    assert not_a_model.exit_code == 1
    assert "is not a saved grader: it has no config.json" in not_a_model.output
    unknown = run("grader", "retrain", "--course", "nope", "--kind", "tfidf")
    assert unknown.exit_code == 1
    assert unknown.output.strip() == "error: no course with id 'nope'"
    worker = run("worker", "--burst")
    assert worker.exit_code == 1
    assert "learnloop worker needs LEARNLOOP_REDIS_URL" in worker.output
