"""The recommender's policies on simulated students, and how fast it chooses.

Run::

    .venv/bin/python bench/policies.py                          # 30 students, both courses
    .venv/bin/python bench/policies.py --students 5 --policies adaptive,oracle --learners bkt
    .venv/bin/python bench/policies.py --latency                # only the timing
    .venv/bin/python bench/policies.py --render bench/results/policies-<date>.json

Every policy gets the same simulated students (``learnloop.recommend.simulate``: two models
of learning, with prerequisites, slips, guesses and forgetting), each in a fresh SQLite
database with the demo course imported and its free-text grader trained. Service policies
choose through ``services.recommend.next_activity`` (what ``GET /api/v1/next`` calls); the
oracle sees the true state; random picks any item. Every answer goes through
``services.learning.submit_attempt`` under simulated time: ten steps a sitting, a day or a few
between sittings. A step is an answer, a course page read (a ``material`` suggestion) or an
empty suggestion (which ends the sitting).

Reported per course and learner model: the share of concepts truly known after 30, 60 and 120
steps (mean over students), steps until every concept was truly known at once (median; a
student who never got there counts as ``--answers``) and the share who got there, the same
item twice in a row, empty suggestions while something was not truly known, and the gap to
the oracle after 60 steps (``1 - policy / oracle``).

``--latency``: a synthetic course of 1,000 items over 100 concepts (a prerequisite DAG) and one
student with 5,000 answers in a SQLite database; ``next_activity`` timed 500 times per policy
(target p99 < 20 ms). Results go to ``bench/results/policies-<date>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ["LEARNLOOP_EMBEDDING_MODEL"] = "none"
os.environ["LEARNLOOP_CHAT_BACKEND"] = "off"

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.machine import machine, versions, write_report  # noqa: E402

COURSES_DIR = ROOT / "learnloop" / "demo" / "courses"
GRADER_DATA = ROOT / "learnloop" / "demo" / "grader-data"
SERVICE_POLICIES = ("fixed", "prerequisite-first", "adaptive")
ALL_POLICIES = (*SERVICE_POLICIES, "oracle", "random")
TARGET_MS = 20.0
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)


def _isolate(data_dir: Path) -> None:
    """No run reads the developer's data folder (a fitted student model there would change
    the results) or ``.env``."""
    os.environ["LEARNLOOP_DATA_DIR"] = str(data_dir)
    from learnloop.settings import get_settings

    get_settings.cache_clear()


def _say(line: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {line}", file=sys.stderr, flush=True)


def _run(job: dict[str, Any]) -> dict[str, Any]:
    """One course x learner x policy (in a worker process)."""
    from learnloop.recommend.simulate import metrics, simulate

    _isolate(Path(job["root"]) / "global-data")
    run = simulate(
        Path(job["pack"]),
        job["policy"],
        job["learner"],
        root=Path(job["root"]),
        students=job["students"],
        steps=job["answers"],
        session_length=job["session_length"],
        seed=job["seed"],
        grader_data=Path(job["grader_data"]) if job["grader_data"] else None,
        template=Path(job["template"]),
        progress=_say if job["verbose"] else None,
        curve=job["curve"],
    )
    row = metrics(run)
    # the mean share known after every 10 steps, for plotting
    row["curve"] = [
        round(
            float(
                np.mean(
                    [
                        (s.known_after(n) or 0) / run.concepts
                        for s in run.students
                        if s.known_after(n) is not None
                    ]
                    or [0.0]
                )
            ),
            4,
        )
        for n in range(10, run.steps + 1, 10)
    ]
    _say(
        f"done {run.course} {run.learner} {run.policy}: mastered@60 "
        f"{row['mastered@60']:.3f} in {run.seconds:.0f} s"
    )
    return row


def _template(job: dict[str, Any]) -> str:
    """A world every policy's run of one course (and, with last term's class, one learner
    model) is copied from (in a worker process)."""
    from learnloop.recommend.simulate import World, warm_up

    _isolate(Path(job["root"]) / "global-data")
    grader_data = Path(job["grader_data"]) if job["grader_data"] else None
    world = World.create(
        Path(job["template"]),
        Path(job["pack"]),
        job["students"],
        grader_data=grader_data,
        warm=job["warm"],
    )
    try:
        if job["warm"]:
            warm_up(
                world,
                Path(job["pack"]),
                job["learner"],
                students=job["warm"],
                steps=job["answers"],
                seed=job["seed"],
                grader_data=grader_data,
                session_length=job["session_length"],
                curve=job["curve"],
                progress=_say if job["verbose"] else None,
            )
            _say(f"{job['template']}: last term's {job['warm']} students done, models fitted")
    finally:
        world.close()
    return str(job["template"])


def simulations(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    _isolate(work / "global-data")
    templates, jobs = [], []
    for course in args.courses:
        pack = COURSES_DIR / course
        data = GRADER_DATA / f"{course}.jsonl"
        grader_data = data if data.is_file() and not args.no_graders else None
        for learner in args.learners:
            common = {
                "pack": str(pack),
                "learner": learner,
                "root": str(work),
                "students": args.students,
                "answers": args.answers,
                "session_length": args.session_length,
                "seed": args.seed,
                "grader_data": str(grader_data) if grader_data else "",
                "verbose": args.verbose,
                "curve": args.curve,
                "warm": args.warm,
            }
            # without last term's class one world per course serves both learner models
            name = f"template-{course}-{learner}" if args.warm else f"template-{course}"
            common["template"] = str(work / name)
            if not any(t["template"] == common["template"] for t in templates):
                templates.append(common)
            jobs += [{**common, "policy": policy} for policy in args.policies]
    _say(
        f"{len(templates)} world(s) to prepare (course imported, grader trained"
        + (f", last term's {args.warm} students" if args.warm else "")
        + f"), then {len(jobs)} runs on {args.jobs} process(es)"
    )
    if args.jobs <= 1:
        for tpl in templates:
            _template(tpl)
        return [_run(j) for j in jobs]
    with ProcessPoolExecutor(args.jobs) as pool:
        list(pool.map(_template, templates))
        return list(pool.map(_run, jobs))


# --- latency --------------------------------------------------------------------------------


def synthetic_pack(concepts: int = 100, per_concept: int = 10, seed: int = 0) -> Any:
    """A course of ``concepts`` concepts (each needing one to three of the ten before it) and
    ``per_concept`` numeric and multiple-choice items each, with a page per concept."""
    from learnloop.domain.course import Concept, Course, CoursePack, Item, Material

    rng = np.random.default_rng(seed)
    cs = []
    for i in range(concepts):
        pool = list(range(max(0, i - 10), i))
        k = min(len(pool), int(rng.integers(1, 4)))
        pre = sorted(rng.choice(pool, size=k, replace=False).tolist()) if k else []
        cs.append(
            Concept(
                id=f"c{i:03d}",
                name={"en": f"Concept {i}"},
                prerequisites=[f"c{p:03d}" for p in pre],
            )
        )
    items = []
    for i in range(concepts):
        for j in range(per_concept):
            concept = [f"c{i:03d}"]
            if cs[i].prerequisites and j % 4 == 3:
                concept.append(cs[i].prerequisites[0])
            common = {
                "id": f"c{i:03d}-q{j}",
                "prompt": {"en": f"Question {j} on concept {i}"},
                "concepts": concept,
                "difficulty": round(float(rng.uniform(0.1, 0.8)), 2),
            }
            if j % 2:
                items.append(Item(type="numeric", answer={"value": str(i + j)}, **common))
            else:
                choices = [
                    {"id": "a", "text": {"en": "right"}, "correct": True},
                    {"id": "b", "text": {"en": "wrong"}, "feedback": {"en": f"Mix-up {i}."}},
                    {"id": "c", "text": {"en": "also wrong"}},
                ]
                items.append(Item(type="multiple_choice", answer={"choices": choices}, **common))
    materials = [
        Material(
            id=f"page-{i:03d}",
            title={"en": f"Concept {i}"},
            concepts=[f"c{i:03d}"],
            body={"en": f"# Concept {i}\n\nWhat concept {i} means, and the mix-up {i}.\n"},
            order=i,
        )
        for i in range(concepts)
    ]
    course = Course(id="synthetic", title={"en": "Synthetic course"}, languages=["en"])
    return CoursePack(course=course, concepts=cs, items=items, materials=materials)


def latency(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    import time_machine
    from sqlalchemy import select

    from learnloop.recommend.simulate import START, ResponseBuilder, World
    from learnloop.services import classes, courses, users
    from learnloop.services.learning import submit_attempt
    from learnloop.services.recommend import next_activity
    from learnloop.storage.tables import User

    _isolate(work / "global-data")
    pack = synthetic_pack(seed=args.seed)
    world = World(work / "latency")
    world.root.mkdir(parents=True, exist_ok=True)
    with time_machine.travel(START - timedelta(days=1), tick=False):
        world.backend.upgrade()
        with world.backend.transaction() as s:
            courses.import_pack(s, pack=pack, embedder=None)
            classes.ensure_class(s, name=World.CLASS)
            classes.add_course(s, class_name=World.CLASS, course_id="synthetic")
            users.create_user(s, username="heavy", password=World.PASSWORD)
            classes.enrol(s, class_name=World.CLASS, username="heavy")
    with world.backend.transaction() as s:
        user = s.scalars(select(User).where(User.username == "heavy")).one()
        s.expunge(user)
    responses = ResponseBuilder(pack.items)
    rng = np.random.default_rng(args.seed)
    keys = [i.id for i in pack.items]
    now = START
    _say(f"latency: {args.latency_answers:,} answers by one student ...")
    t0 = time.perf_counter()
    for n in range(args.latency_answers):
        # a student working through the course, with some going back
        k = min(len(keys) - 1, int(n * len(keys) / args.latency_answers + rng.integers(-30, 5)))
        key = keys[max(0, k)]
        right = rng.random() < 0.7
        response = responses.right(key) if right else responses.wrong(key, rng)
        with time_machine.travel(now, tick=False):
            submit_attempt(
                world.backend, user=user, course_key="synthetic", item_key=key, response=response
            )
        now += timedelta(seconds=90) if n % 20 != 19 else timedelta(days=1)
        if n % 1000 == 999:
            _say(f"  {n + 1:,} answers ({time.perf_counter() - t0:.0f} s)")
    rows = []
    for policy in SERVICE_POLICIES:
        times = []
        with time_machine.travel(now + timedelta(days=2), tick=False):
            for _ in range(10):  # warm the content cache and the model
                next_activity(world.backend, user, "synthetic", policy=policy)
            for _ in range(args.latency_calls):
                t = time.perf_counter()
                next_activity(world.backend, user, "synthetic", policy=policy)
                times.append((time.perf_counter() - t) * 1000)
        ms = np.asarray(times)
        rows.append(
            {
                "policy": policy,
                "calls": len(ms),
                "p50_ms": float(np.percentile(ms, 50)),
                "p95_ms": float(np.percentile(ms, 95)),
                "p99_ms": float(np.percentile(ms, 99)),
                "max_ms": float(ms.max()),
                "meets_target": bool(np.percentile(ms, 99) < TARGET_MS),
            }
        )
        _say(f"  {policy}: p99 {rows[-1]['p99_ms']:.1f} ms")
    world.close()
    return {
        "items": len(pack.items),
        "concepts": len(pack.concepts),
        "answers": args.latency_answers,
        "rows": rows,
    }


# --- output ---------------------------------------------------------------------------------


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f} %"


def _groups(rows: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    from learnloop.recommend.simulate import gap_to_oracle

    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["course"], r["learner"]), []).append(r)
    for group in groups.values():
        gaps = gap_to_oracle(group)
        for r in group:
            r["gap_to_oracle@60"] = gaps[r["policy"]]
    return groups


COLUMNS = (
    "policy",
    "known@30",
    "known@60",
    "known@120",
    "steps to all (reached)",
    "repeats",
    "empty",
    "pages",
    "gap to oracle",
)


def _cells(r: dict[str, Any]) -> list[str]:
    return [
        r["policy"],
        _pct(r["mastered@30"]),
        _pct(r["mastered@60"]),
        _pct(r["mastered@120"]),
        f"{r['to_all']:.0f} ({_pct(r['reached_all'])})",
        str(r["repeats"]),
        str(r["empty_unmastered"]),
        str(r["materials"]),
        _pct(r["gap_to_oracle@60"]),
    ]


def _versus(group: list[dict[str, Any]]) -> str:
    """The issue's targets: adaptive against fixed, and against the oracle, after 60 steps."""
    by = {r["policy"]: r.get("mastered@60") for r in group}
    adaptive, fixed, oracle = by.get("adaptive"), by.get("fixed"), by.get("oracle")
    parts = []
    if adaptive is not None and fixed:
        parts.append(f"adaptive / fixed after 60 steps: {adaptive / fixed:.2f}x (target 1.5x)")
    if adaptive is not None and oracle:
        parts.append(
            f"adaptive's gap to the oracle: {100 * (1 - adaptive / oracle):.0f} % "
            "(target at most 15 %)"
        )
    return "; ".join(parts) + "." if parts else ""


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"# Recommender policies on simulated students ({report['date']})",
        "",
        f"`{report['command']}`",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores (shared; load average {m['load_average']} "
        f"at the start), Python {m['python']}.",
        "",
    ]
    if report.get("runs"):
        lines += [
            f"{report['students']} simulated students per run, up to {report['answers']} steps "
            f"each ({report['session_length']} a sitting), seed {report['seed']}, forgetting "
            f"along the `{report.get('curve', 'fast')}` curve "
            "(`learnloop.recommend.simulate.Curve`); "
            + (
                f"last term's class of {report['warm']} other students practised first and "
                "the student and forgetting models were fitted on their log. "
                if report.get("warm")
                else "a new installation (the shipped priors until the first re-fit). "
            )
            + "`known@N`: "
            "share of concepts truly known after N steps; `steps to all`: median steps until "
            "every concept was truly known at once (the cap for a student who never got "
            "there), with the share who did; `repeats`: the same item twice in a row; "
            "`empty`: nothing suggested while a concept was not truly known; `pages`: course "
            "pages suggested instead of an item; gap to oracle: `1 - known@60 / oracle's`.",
            "",
        ]
        for (course, learner), group in _groups(report["runs"]).items():
            lines += [
                f"## {course}, {learner} learners",
                "",
                "| " + " | ".join(COLUMNS) + " |",
                "|" + "---|" * len(COLUMNS),
            ]
            lines += ["| " + " | ".join(_cells(r)) + " |" for r in group]
            lines += ["", _versus(group), ""]
    if lat := report.get("latency"):
        lines += [
            f"## Choosing the next activity: {lat['items']:,} items, {lat['concepts']} "
            f"concepts, one student with {lat['answers']:,} answers (SQLite)",
            "",
            "| policy | calls | p50 ms | p95 ms | p99 ms | max ms | p99 < 20 ms |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in lat["rows"]:
            lines.append(
                f"| {r['policy']} | {r['calls']} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | "
                f"{r['p99_ms']:.2f} | {r['max_ms']:.1f} | {'yes' if r['meets_target'] else 'no'} |"
            )
        lines.append("")
    return "\n".join(lines)


def print_tables(report: dict[str, Any]) -> None:
    for (course, learner), group in _groups(report.get("runs", [])).items():
        t = Table(title=f"{course}, {learner} learners ({report['students']} students)")
        for col in COLUMNS:
            t.add_column(col, justify="left" if col == "policy" else "right")
        for r in group:
            t.add_row(*_cells(r))
        out.print(t)
        out.print(_versus(group))
    if lat := report.get("latency"):
        t = Table(title=f"next_activity: {lat['items']:,} items, {lat['answers']:,} answers")
        for col in ("policy", "calls", "p50 ms", "p95 ms", "p99 ms", "max ms"):
            t.add_column(col, justify="left" if col == "policy" else "right")
        for r in lat["rows"]:
            t.add_row(
                r["policy"],
                str(r["calls"]),
                f"{r['p50_ms']:.2f}",
                f"{r['p95_ms']:.2f}",
                f"{r['p99_ms']:.2f}",
                f"{r['max_ms']:.1f}",
            )
        out.print(t)


def _names(
    value: str, allowed: tuple[str, ...], what: str, parser: argparse.ArgumentParser
) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    if unknown := [n for n in names if n not in allowed]:
        parser.error(f"unknown {what} {unknown}; choose from {', '.join(allowed)}")
    return names


def main() -> None:
    from learnloop.recommend.simulate import CURVES, DEFAULT_CURVE, LEARNERS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--answers", type=int, default=400, help="steps per student at most")
    parser.add_argument("--courses", default="fractions,photosynthesis")
    parser.add_argument("--learners", default=",".join(LEARNERS))
    parser.add_argument("--policies", default=",".join(ALL_POLICIES))
    parser.add_argument("--session-length", type=int, default=10)
    parser.add_argument(
        "--warm",
        type=int,
        default=0,
        metavar="N",
        help="last term's class: N other students practise first and the models are fitted "
        "on their log (0: a new installation, the shipped priors)",
    )
    parser.add_argument(
        "--curve",
        choices=sorted(CURVES),
        default=DEFAULT_CURVE,
        help="how the simulated students forget (fsrs: FSRS's published defaults; fast: "
        "about seven times faster, a stress test)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument(
        "--no-graders",
        action="store_true",
        help="no learned free-text grader: free text waits for a teacher",
    )
    parser.add_argument("--latency", action="store_true", help="only time next_activity")
    parser.add_argument("--latency-answers", type=int, default=5000)
    parser.add_argument("--latency-calls", type=int, default=500)
    parser.add_argument("--verbose", action="store_true", help="a line per simulated student")
    parser.add_argument("--results", default=str(ROOT / "bench" / "results"))
    parser.add_argument("--render", metavar="JSON", help="print and rewrite a saved report's .md")
    args = parser.parse_args()
    if args.render:
        path = Path(args.render)
        saved = json.loads(path.read_text())
        print_tables(saved)
        path.with_suffix(".md").write_text(markdown(saved))
        return
    courses = sorted(p.name for p in COURSES_DIR.iterdir() if (p / "course.yaml").is_file())
    args.courses = _names(args.courses, tuple(courses), "course(s)", parser)
    args.learners = _names(args.learners, tuple(LEARNERS), "learner model(s)", parser)
    args.policies = _names(args.policies, ALL_POLICIES, "policy(ies)", parser)
    if args.answers < 120:
        parser.error("--answers must be at least 120 (the last checkpoint)")
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["bench/policies.py", *sys.argv[1:]]),
        "machine": machine(),
        "versions": versions("networkx", "fsrs", "time-machine", "sqlalchemy"),
        "students": args.students,
        "answers": args.answers,
        "session_length": args.session_length,
        "seed": args.seed,
        "curve": args.curve,
        "warm": args.warm,
    }
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="learnloop-policies-") as tmp:
        work = Path(tmp)
        if args.latency:
            report["latency"] = latency(args, work)
        else:
            report["runs"] = simulations(args, work)
    report["seconds"] = round(time.perf_counter() - started, 1)
    print_tables(report)
    name = "policies-latency" if args.latency else "policies"
    if not args.latency and args.curve != DEFAULT_CURVE:
        name += f"-{args.curve}"
    if not args.latency and args.warm:
        name += "-warm"
    stem = write_report(Path(args.results), name, report, markdown(report))
    err.print(f"wrote {stem}.json and .md ({report['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
