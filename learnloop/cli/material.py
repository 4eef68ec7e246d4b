"""``learnloop material``: search course materials as the tutor does; rebuild their index."""

from __future__ import annotations

import textwrap

import click

from learnloop.cli.base import cli, console, err_console, progress_bar
from learnloop.retrieval import Hit, make_embedder
from learnloop.retrieval.chunking import heading_line
from learnloop.services import Backend, retrieval
from learnloop.services import courses as course_service

SNIPPET = 240


@cli.group()
def material() -> None:
    """Search course materials (keywords plus embeddings) and rebuild their search index
    (see docs/retrieval.md)."""


@material.command("search")
@click.argument("course_id")
@click.argument("query")
@click.option("-k", "--top", "k", default=3, show_default=True, type=click.IntRange(1, 50))
@click.option(
    "--language",
    default=None,
    help="Put passages in this language first (default: the query's language).",
)
def search(course_id: str, query: str, k: int, language: str | None) -> None:
    """Show the passages of course COURSE_ID that best answer QUERY, best first."""
    backend = Backend.open()
    with backend.transaction() as session:
        hits = retrieval.search_course(
            session, course_id=course_id, query=query, k=k, language=language
        )
    if not hits:
        err_console.print(f"no passage of {course_id!r} matches {query!r}", markup=False)
        return
    for n, hit in enumerate(hits, start=1):
        console.print(_describe(n, hit), markup=False)


def _describe(n: int, hit: Hit) -> str:
    c = hit.chunk
    ranks = ", ".join(f"{method} #{rank}" for method, rank in hit.ranks.items())
    text = " ".join(c.text.split())
    snippet = textwrap.shorten(text, SNIPPET, placeholder=" …") if " " in text else text[:SNIPPET]
    return (
        f"{n}. {c.material}#{c.anchor} [{c.language}] score {hit.score:.4f} ({ranks})\n"
        f"   {heading_line(c.title, c.section)}\n"
        f"   {snippet}"
    )


@material.command("reindex")
@click.argument("course_ids", nargs=-1)
@click.option(
    "--model",
    type=click.Choice(["auto", "minilm", "e5", "none"]),
    default=None,
    help="Embedding model (default: LEARNLOOP_EMBEDDING_MODEL); none indexes keywords only.",
)
def reindex(course_ids: tuple[str, ...], model: str | None) -> None:
    """Rebuild the search index of the courses COURSE_IDS (default: every course), embedding
    every passage anew; needed after changing the embedding model."""
    backend = Backend.open()
    embedder = make_embedder(model or backend.settings.embedding_model)
    if not course_ids:
        with backend.transaction() as session:
            course_ids = tuple(c.id for c in course_service.list_courses(session))
        if not course_ids:
            err_console.print("no courses yet; import one with: learnloop course import PATH")
            return
    for course_id in course_ids:
        with backend.transaction() as session, progress_bar(f"indexing {course_id}") as tick:
            report = retrieval.index_course(
                session, course_id=course_id, embedder=embedder, progress=tick, reuse=False
            )
        console.print(f"{report.summary()} in {report.seconds:.1f} s", markup=False)
