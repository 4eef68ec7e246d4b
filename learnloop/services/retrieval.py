"""Material search use cases: index a course's materials, search them.

Importing a course indexes it (``courses.import_pack`` calls ``index_course_row``): its
materials are split into passages, embedded when a model is available, and stored, so a
restarted server searches at once and embeds only the query. Passages whose text did not
change keep their stored vectors on re-import; ``learnloop material reindex`` embeds all anew.

Each process keeps the index it built from a course's stored passages, and uses it while the
passages carry the same ``indexed_at`` as when it was built (one cheap aggregate query per
search), like ``services.content``; the cache is per engine.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from learnloop.errors import ConfigurationError, MissingExtraError, NotFoundError
from learnloop.retrieval import Chunk, Embedder, Hit, HybridIndex, chunk_material, make_embedder
from learnloop.settings import get_settings
from learnloop.storage.tables import CourseRow, MaterialChunkRow, MaterialRow, utcnow

log = logging.getLogger("learnloop.retrieval")

Progress = Callable[[str, int, int], None]
EmbedderChoice = Embedder | None | Literal["settings"]
"""An embedder, None for keywords only, or ``settings``: ``LEARNLOOP_EMBEDDING_MODEL``'s."""

BATCH = 32
"""Passages embedded per call, between progress reports."""
_VECTOR = np.dtype("<f4")


@dataclass(frozen=True)
class IndexReport:
    course_id: str
    passages: int
    embedded: int
    """Passages embedded by this run."""
    reused: int
    """Passages whose text had not changed and kept their stored vector."""
    embedder: str | None
    seconds: float

    def summary(self) -> str:
        if self.embedder is None:
            how = "keywords only"
        else:
            how = f"keywords and {self.embedder} embeddings"
            if self.reused:
                how += f", {self.reused} kept from the last index"
        return f"search index of {self.course_id!r}: {self.passages} passages ({how})"


def settings_embedder() -> Embedder | None:
    """``LEARNLOOP_EMBEDDING_MODEL``'s embedder; None (and a logged warning) when the chosen
    model's extra is missing, so that importing a course never fails for want of a model."""
    try:
        return make_embedder(get_settings().embedding_model)
    except MissingExtraError as exc:
        log.warning("material search by keywords only: %s", exc.message)
        return None


def _resolve(embedder: EmbedderChoice) -> Embedder | None:
    return settings_embedder() if embedder == "settings" else embedder


def _course(session: Session, course_id: str) -> CourseRow:
    row = session.scalar(select(CourseRow).where(CourseRow.key == course_id))
    if row is None:
        raise NotFoundError(f"no course with id {course_id!r}; see: learnloop course list")
    return row


def course_chunks(session: Session, course: CourseRow) -> list[Chunk]:
    """The passages of the course's current materials, in course order, every language."""
    rows = session.scalars(
        select(MaterialRow)
        .where(MaterialRow.course_id == course.id, MaterialRow.retired.is_(False))
        .order_by(MaterialRow.position)
    )
    chunks: list[Chunk] = []
    for row in rows:
        for language, body in row.body.items():
            title = (
                row.title.get(language)
                or row.title.get("*")
                or next(iter(row.title.values()), row.key)
            )
            chunks.extend(chunk_material(row.key, language, title, body))
    return chunks


def index_course(
    session: Session,
    *,
    course_id: str,
    embedder: EmbedderChoice = "settings",
    progress: Progress | None = None,
    reuse: bool = True,
) -> IndexReport:
    """Rebuild the stored search index of the course ``course_id`` (its key)."""
    return index_course_row(
        session,
        course=_course(session, course_id),
        embedder=embedder,
        progress=progress,
        reuse=reuse,
    )


def index_course_row(
    session: Session,
    *,
    course: CourseRow,
    embedder: EmbedderChoice = "settings",
    progress: Progress | None = None,
    reuse: bool = True,
) -> IndexReport:
    """Chunk, embed and store the course's materials, replacing its old passages.

    With ``reuse``, a passage whose searched text is unchanged keeps the vector the same
    embedder gave it before; ``progress(step, done, total)`` hears of each embedded batch.
    """
    started = time.perf_counter()
    model = _resolve(embedder)
    chunks = course_chunks(session, course)
    vectors: list[bytes | None] = [None] * len(chunks)
    embedded = 0
    if model is not None:
        try:
            vectors, embedded = _embed(session, course, chunks, model, progress, reuse=reuse)
        except Exception as exc:
            if embedder != "settings":
                raise
            # the model the settings chose is installed but broken: the import still works
            log.warning("material search by keywords only: %s failed: %s", model.name, exc)
            model = None
            vectors = [None] * len(chunks)
    session.execute(delete(MaterialChunkRow).where(MaterialChunkRow.course_id == course.id))
    now = utcnow()
    session.add_all(
        MaterialChunkRow(
            course_id=course.id,
            material=c.material,
            language=c.language,
            title=c.title,
            section=c.section,
            anchor=c.anchor,
            position=c.position,
            text=c.text,
            embedding=vector,
            embedder=model.name if model is not None else None,
            indexed_at=now,
        )
        for c, vector in zip(chunks, vectors, strict=True)
    )
    session.flush()
    report = IndexReport(
        course_id=course.key,
        passages=len(chunks),
        embedded=embedded,
        reused=len(chunks) - embedded if model is not None else 0,
        embedder=model.name if model is not None else None,
        seconds=time.perf_counter() - started,
    )
    log.info("%s in %.1f s", report.summary(), report.seconds)
    return report


def _embed(
    session: Session,
    course: CourseRow,
    chunks: list[Chunk],
    model: Embedder,
    progress: Progress | None,
    *,
    reuse: bool,
) -> tuple[list[bytes | None], int]:
    """Each passage's vector as bytes, and how many were embedded (not reused)."""
    known: dict[str, bytes] = {}
    if reuse:
        for row in session.scalars(
            select(MaterialChunkRow).where(
                MaterialChunkRow.course_id == course.id,
                MaterialChunkRow.embedder == model.name,
                MaterialChunkRow.embedding.is_not(None),
            )
        ):
            known[_stored_chunk(row).search_text] = row.embedding or b""
    vectors: list[bytes | None] = [known.get(c.search_text) for c in chunks]
    todo = [n for n, vector in enumerate(vectors) if vector is None]
    step = f"embedding passages ({model.name})"
    for start in range(0, len(todo), BATCH):
        if progress is not None:
            progress(step, start, len(todo))
        batch = todo[start : start + BATCH]
        rows = model.embed([chunks[n].search_text for n in batch], kind="passage")
        for n, vector in zip(batch, rows, strict=True):
            vectors[n] = vector.astype(_VECTOR).tobytes()
    if progress is not None and todo:
        progress(step, len(todo), len(todo))
    return vectors, len(todo)


def _stored_chunk(row: MaterialChunkRow) -> Chunk:
    return Chunk(
        material=row.material,
        language=row.language,
        title=row.title,
        section=row.section,
        anchor=row.anchor,
        position=row.position,
        text=row.text,
    )


# --- search -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cached:
    version: tuple[int, datetime | None]
    requested: str | None
    index: HybridIndex

    def serves(self, version: tuple[int, datetime | None], wanted: str | None) -> bool:
        built = self.index.embedder.name if self.index.embedder is not None else None
        return self.version == version and wanted in (None, self.requested, built)


_lock = threading.Lock()
_cache: weakref.WeakKeyDictionary[Engine, dict[int, _Cached]] = weakref.WeakKeyDictionary()


def search_course(
    session: Session,
    *,
    course_id: str,
    query: str,
    k: int = 3,
    language: str | None = None,
    embedder: Embedder | None = None,
) -> list[Hit]:
    """The ``k`` passages of the course ``course_id`` (its key) that best answer ``query``.

    ``language`` is preferred (default: the query's own, guessed from its script). The
    query is embedded with the model the index was built with (``embedder`` when given and
    the same model, else that model loaded by name); without one, keywords only.
    """
    if not query.strip():
        return []
    index = course_index(session, course=_course(session, course_id), embedder=embedder)
    return index.search(query, k, language=language)


def course_index(
    session: Session, *, course: CourseRow, embedder: Embedder | None = None
) -> HybridIndex:
    """The search index of ``course`` from its stored passages, built once per process and
    version of those passages."""
    version = session.execute(
        select(func.count(), func.max(MaterialChunkRow.indexed_at)).where(
            MaterialChunkRow.course_id == course.id
        )
    ).one()
    key = (int(version[0]), version[1])
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    wanted = embedder.name if embedder is not None else None
    with _lock:
        hit = _cache.setdefault(engine, {}).get(course.id)
    if hit is not None and hit.serves(key, wanted):
        return hit.index
    index = _load(session, course, embedder, stored=key[0] > 0)
    with _lock:
        _cache.setdefault(engine, {})[course.id] = _Cached(key, wanted, index)
    return index


def forget_cached_indexes() -> None:
    """Drop every in-memory index, as a restart would (tests, benchmarks)."""
    with _lock:
        _cache.clear()


def _load(
    session: Session, course: CourseRow, embedder: Embedder | None, *, stored: bool
) -> HybridIndex:
    if not stored:
        # a course imported before the index existed: keywords from its materials, unsaved
        log.info(
            "course %r has no stored search index; searching its materials by keywords until "
            "it is rebuilt: learnloop material reindex %s",
            course.key,
            course.key,
        )
        return HybridIndex(course_chunks(session, course))
    rows = session.scalars(
        select(MaterialChunkRow)
        .where(MaterialChunkRow.course_id == course.id)
        .order_by(MaterialChunkRow.id)
    ).all()
    chunks = [_stored_chunk(row) for row in rows]
    names = {row.embedder for row in rows}
    name = names.pop() if len(names) == 1 else None
    if name is None or any(row.embedding is None for row in rows):
        return HybridIndex(chunks)
    model = _query_embedder(name, embedder)
    if model is None:
        return HybridIndex(chunks)
    vectors = np.stack([np.frombuffer(row.embedding or b"", dtype=_VECTOR) for row in rows])
    if vectors.shape[1] != model.dim:
        log.warning(
            "the search index of %r holds %d-dimensional vectors, %s gives %d; keywords only "
            "until: learnloop material reindex %s",
            course.key,
            vectors.shape[1],
            model.name,
            model.dim,
            course.key,
        )
        return HybridIndex(chunks)
    return HybridIndex(chunks, embedder=model, embeddings=vectors)


def _query_embedder(name: str, given: Embedder | None) -> Embedder | None:
    if given is not None and given.name == name:
        return given
    if given is not None:
        log.warning(
            "the search index was built with %s, not %s; searching by keywords only",
            name,
            given.name,
        )
        return None
    try:
        return make_embedder(name)
    except (MissingExtraError, ConfigurationError) as exc:
        log.warning("searching by keywords only: %s", exc.message)
        return None
