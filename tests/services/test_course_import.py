"""Importing course packs into the database: all or nothing, in place, and round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from learnloop.courses import load_pack
from learnloop.errors import CoursePackError, NotFoundError
from learnloop.services import Backend, courses, users
from learnloop.services.demo import demo_course_paths
from learnloop.storage.tables import AttemptRow, ConceptRow, CourseRow, ItemRow, MaterialRow


def _count(backend: Backend, table: type) -> int:
    with backend.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def test_import_stores_the_whole_course(backend: Backend, tiny_pack: Path) -> None:
    with backend.transaction() as s:
        report = courses.import_path(s, path=tiny_pack)
    assert report.created
    assert (report.concepts.added, report.items.added, report.materials.added) == (2, 3, 1)
    with backend.transaction() as s:
        pack = courses.read_pack(s, course_id="tiny")
    assert [c.id for c in pack.concepts] == ["halves", "quarters"]
    assert pack.concepts[1].prerequisites == ["halves"]
    assert [i.id for i in pack.items] == ["q1", "q2", "q3"]
    assert pack.items[2].concepts == ["quarters", "halves"]
    assert pack.materials[0].body["zh"].startswith("# 二分之一")


def test_a_bad_pack_changes_nothing(backend: Backend, tiny_pack: Path) -> None:
    with backend.transaction() as s:
        courses.import_path(s, path=tiny_pack)
    before = {t: _count(backend, t) for t in (CourseRow, ConceptRow, ItemRow, MaterialRow)}
    items = tiny_pack / "items" / "all.yaml"
    items.write_text(items.read_text().replace("concepts: [halves]", "concepts: [nope]", 1))
    (tiny_pack / "course.yaml").write_text("id: tiny\ntitle: Renamed\nlanguages: [en, zh]\n")
    with pytest.raises(CoursePackError), backend.transaction() as s:
        courses.import_path(s, path=tiny_pack)
    assert {t: _count(backend, t) for t in before} == before
    with backend.transaction() as s:
        assert courses.read_pack(s, course_id="tiny").course.title == {
            "en": "Tiny course",
            "zh": "小课程",
        }


def test_a_failure_halfway_through_import_rolls_everything_back(
    backend: Backend, tiny_pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(step: str, done: int, total: int) -> None:
        if step == "items":
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError), backend.transaction() as s:
        courses.import_path(s, path=tiny_pack, progress=explode)
    assert _count(backend, CourseRow) == 0
    assert _count(backend, ItemRow) == 0


def test_reimport_updates_in_place_and_keeps_student_history(
    backend: Backend, tiny_pack: Path
) -> None:
    with backend.transaction() as s:
        courses.import_path(s, path=tiny_pack)
        student = users.create_user(s, username="ana", password="password1")
        q1 = s.scalar(select(ItemRow).where(ItemRow.key == "q1"))
        assert q1 is not None
        s.add(AttemptRow(user_id=student.id, item_id=q1.id, response={"value": "1/2"}))
        q1_id = q1.id

    items = tiny_pack / "items" / "all.yaml"
    text = items.read_text()
    text = text.replace("What is half of 1?", "What is one half of 1?")
    start = text.index("- id: q3")
    items.write_text(text[:start])  # q3 removed from the pack
    with backend.transaction() as s:
        report = courses.import_path(s, path=tiny_pack)
    assert not report.created
    assert (report.items.updated, report.items.unchanged, report.items.retired) == (1, 1, 1)

    with backend.transaction() as s:
        q1 = s.get(ItemRow, q1_id)
        assert q1 is not None and q1.prompt["en"] == "What is one half of 1?"
        assert s.scalar(select(func.count()).select_from(AttemptRow)) == 1
        pack = courses.read_pack(s, course_id="tiny")
    assert [i.id for i in pack.items] == ["q1", "q2"]

    with backend.transaction() as s:
        again = courses.import_path(s, path=tiny_pack)
    assert again.items.updated == 0 and again.items.unchanged == 2


def test_export_then_import_round_trips_exactly(
    backend: Backend, tmp_path: Path, database_url: str
) -> None:
    for path in demo_course_paths():
        original = load_pack(path)
        with backend.transaction() as s:
            courses.import_pack(s, pack=original)
            out = tmp_path / "export" / original.course.id
            exported = courses.export_course(s, course_id=original.course.id, path=out)
        assert exported == original
        assert load_pack(out) == original
        with backend.transaction() as s:
            report = courses.import_path(s, path=out)
        assert report.items.updated == 0 and report.concepts.updated == 0


def test_unknown_course_is_a_clear_not_found(backend: Backend) -> None:
    with pytest.raises(NotFoundError, match="no course with id 'nope'"), backend.transaction() as s:
        courses.read_pack(s, course_id="nope")
