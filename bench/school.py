"""Every teacher page and analytics route at a school's size, timed through HTTP.

Run::

    .venv/bin/python bench/school.py                         # SQLite and PostgreSQL, 300 students
    .venv/bin/python bench/school.py --db sqlite --answers 10000
    .venv/bin/python bench/school.py --routes items,mastery  # only the routes named so

It loads a school straight into a fresh database with bulk inserts (not through the answer
loop, which would take an hour): two teachers with a class each (a few students in both), the
demo Fractions course linked to both classes, ``--students`` students and ``--answers``
answers over a 14-week term that ended yesterday. Students differ in ability and in how much
they practise; each works through the course in order with some going back, in sittings of a
dozen answers on school days (and some evenings), seconds to minutes apart. Every answer has
its grade (rule graders for objective items; a learned grade for free text, the unsure ones
provisional, in the review queue, most of them decided by the teacher since), every student
has the mastery rows the answer loop would have left (the live student model replayed over
their final grades), and some asked the tutor. PostgreSQL is ``ANALYZE``d after the load, as
autovacuum would do; SQLite is left as a fresh file is.

Then ``learnloop serve`` runs on that database and the first teacher opens every teacher page
and teacher API route ``--requests`` times each, one at a time, after one warm-up request.
Reported per route: p50 and p95 (target: p95 under 1 s), and for pages the HTML size and its
table rows (a proxy for the page's height). A request that takes longer than ``--timeout``
ends the route's measurement (the server is restarted). Results go to
``bench/results/school-<date>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ["LEARNLOOP_EMBEDDING_MODEL"] = "none"
os.environ["LEARNLOOP_CHAT_BACKEND"] = "off"

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402

from bench.answer_load import (  # noqa: E402
    Server,
    database_version,
    drop_postgres_schema,
    free_port,
    fresh_postgres_schema,
    percentile,
)
from bench.machine import machine, versions, write_report  # noqa: E402
from learnloop.storage.tables import ReviewStatus  # noqa: E402

COURSES_DIR = ROOT / "learnloop" / "demo" / "courses"
COURSE = "fractions"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "school-password"
TARGET_MS = 1000.0
TEACHERS = ("teacher1", "teacher2")
TERM_WEEKS = 14
SITTING = 12
"""Answers in a sitting, on average."""
OBJECTIVE_GRADER = {
    "multiple_choice": "rules.choice",
    "numeric": "rules.numeric",
    "expression": "rules.expression",
    "text": "rules.text",
}
FREE_TEXT_GRADER = "learned.tfidf"
UNSURE_BELOW = 0.6
"""A learned grade less confident than this waits for the teacher, as the course says."""
QUESTIONS = [
    "Why is the denominator at the bottom?",
    "I don't understand how to find a common denominator.",
    "Can you explain this with a picture?",
    "Why did my answer count as wrong?",
    "What does equivalent mean here?",
    "How do I simplify 6/8?",
    "Is 3/4 bigger than 2/3?",
    "Give me a hint please",
]
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)


def _say(line: str) -> None:
    err.print(f"[{datetime.now():%H:%M:%S}] {line}", highlight=False)


# --- loading the school --------------------------------------------------------------------


@dataclass
class Loaded:
    """What the timing needs to know about the school it loaded."""

    class_ids: list[int]
    teacher: str
    student_id: int
    """The first teacher's student with the most answers: the heaviest history page."""
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True)
class ItemInfo:
    id: int
    key: str
    type: str
    difficulty: float
    concepts: list[int]
    right: Any
    wrong: list[Any]
    """A few common wrong answers, most common first."""


def _answers_of(row: Any) -> tuple[Any, list[Any]]:
    """A right answer and a few plausible wrong ones for an item row."""
    spec = row.answer or {}
    kind = row.type
    if kind == "multiple_choice":
        choices = [c for c in spec.get("choices", []) if isinstance(c, dict)]
        right = [str(c["id"]) for c in choices if c.get("correct")]
        wrong = [[str(c["id"])] for c in choices if not c.get("correct")]
        return right if len(right) > 1 else right[:1], wrong or [["z"]]
    if kind == "numeric":
        value = str(spec.get("value"))
        return value, [f"{value}0", "1", "2/3", "0.5", value[::-1]]
    if kind == "expression":
        return str(spec.get("expression")), ["x + 1", "2x", "x/2"]
    if kind == "text":
        accept = spec.get("accept") or ["answer"]
        return str(accept[0]), ["numerator", "fraction", "i don't know"]
    references: list[dict[str, str]] = list(row.reference_answers or [])
    reference = references[0] if references else {}
    return str(reference.get("en") or "the part over the whole"), [
        "because it is bigger",
        "I don't know",
        "you add the tops and the bottoms",
    ]


def _course_items(conn: Connection) -> list[ItemInfo]:
    from learnloop.storage.tables import CourseRow, ItemConceptRow, ItemRow

    course_id = conn.scalar(select(CourseRow.id).where(CourseRow.key == COURSE))
    concepts: dict[int, list[int]] = defaultdict(list)
    for item_id, concept_id in conn.execute(
        select(ItemConceptRow.item_id, ItemConceptRow.concept_id).order_by(
            ItemConceptRow.item_id, ItemConceptRow.position
        )
    ):
        concepts[item_id].append(concept_id)
    rows = conn.execute(
        select(ItemRow).where(ItemRow.course_id == course_id).order_by(ItemRow.position)
    ).all()
    out = []
    for r in rows:
        right, wrong = _answers_of(r)
        out.append(ItemInfo(r.id, r.key, r.type, r.difficulty, concepts[r.id], right, wrong))
    return out


def _weekdays(start: datetime, weeks: int) -> list[datetime]:
    days = [start + timedelta(days=d) for d in range(weeks * 7)]
    return [d for d in days if d.weekday() < 5]


def _sittings(rng: random.Random, days: list[datetime], answers: int) -> list[datetime]:
    """When each of a student's answers was given: sittings on school days (a fifth of them
    in the evening), answers 15 s to 3 min apart."""
    n = max(1, round(answers / SITTING))
    chosen = sorted(rng.choices(days, k=n))
    sizes = [answers // n + (1 if k < answers % n else 0) for k in range(n)]
    times = []
    for day, size in zip(chosen, sizes, strict=True):
        hour = rng.uniform(18, 21) if rng.random() < 0.2 else rng.uniform(8.5, 15.5)
        at = day + timedelta(hours=hour)
        for _ in range(size):
            times.append(at)
            at += timedelta(seconds=rng.uniform(15, 180))
    return sorted(times)


def _insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 5000):
        conn.execute(insert(table), rows[start : start + 5000])


SCORES = {"correct": 1.0, "partially_correct": 0.5, "incorrect": 0.0}


class Term:
    """A term's log, generated student by student as rows of each table (explicit ids, so
    grades can name their answers before anything is inserted)."""

    def __init__(
        self,
        rng: random.Random,
        model: Any,
        items: list[ItemInfo],
        *,
        course_id: int,
        start: datetime,
    ) -> None:
        self.rng, self.model, self.items, self.course_id = rng, model, items, course_id
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.now = datetime.now(UTC)
        self.days = _weekdays(start, TERM_WEEKS)

    def _add(self, table: str, **row: Any) -> int:
        """A row with the next id of ``table``; the id."""
        rows = self.rows[table]
        rows.append({"id": len(rows) + 1, **row})
        return len(rows)

    def student(
        self, user_id: int, answers: int, *, mean_answers: float, teacher_id: int, language: str
    ) -> None:
        """``answers`` answers in order through the course, with some going back; their
        grades, reviews, questions to the tutor and the mastery rows they leave."""
        rng, items = self.rng, self.items
        ability = rng.gauss(0, 1)
        coverage = min(1.0, 0.3 + answers / (2 * mean_answers))
        tries: dict[int, int] = defaultdict(int)
        states: dict[int, Any] = {}
        applied: dict[int, int] = defaultdict(int)
        last_at: dict[int, datetime] = {}
        for k, at in enumerate(_sittings(rng, self.days, answers)):
            pointer = int(k / max(1, answers) * coverage * len(items))
            item = items[max(0, min(len(items) - 1, pointer + rng.randint(-6, 2)))]
            tries[item.id] += 1
            logit = 1.2 * ability + 1.0 - 3 * (item.difficulty - 0.5) + 0.3 * tries[item.id]
            right = rng.random() < 1 / (1 + math.exp(-logit))
            attempt_id = self._add(
                "attempts",
                user_id=user_id,
                item_id=item.id,
                response={"value": self._response(item, right)},
                language=language,
                idempotency_key=uuid.UUID(int=rng.getrandbits(128)).hex,
                hints_used=rng.choice((0, 0, 0, 0, 1, 2)),
                duration_ms=rng.randint(5_000, 120_000),
                submitted_at=at,
            )
            score = self._grade(attempt_id, item, right, at, teacher_id)
            if score is not None:
                for cid in item.concepts:
                    state = states.get(cid) or self.model.initial_state(str(cid))
                    states[cid] = self.model.update(state, score)
                    applied[cid] += 1
                    last_at[cid] = at
            if rng.random() < 1 / 40:
                self._question(user_id, item, at, language)
        self.rows["mastery"] += [
            {
                "user_id": user_id,
                "concept_id": cid,
                "p_mastery": self.model.p_mastery(state),
                "confidence": self.model.confidence(state),
                "attempts": applied[cid],
                "state": state,
                "model": self.model.name,
                "memory": {},
                "updated_at": last_at[cid],
            }
            for cid, state in states.items()
        ]

    def _response(self, item: ItemInfo, right: bool) -> Any:
        if right:
            return item.right
        if self.rng.random() < 0.8:  # the common slips, the first most often
            return item.wrong[min(len(item.wrong) - 1, int(self.rng.expovariate(1.2)))]
        return str(self.rng.randint(2, 99))

    def _grade(
        self, attempt_id: int, item: ItemInfo, right: bool, at: datetime, teacher_id: int
    ) -> float | None:
        """The answer's grade (and the teacher's decision on an unsure one); the score that
        stands, ``None`` while it waits for the teacher."""
        rng = self.rng
        verdict = "correct" if right else "incorrect"
        if item.type == "free_text":
            if not right and rng.random() < 0.3:
                verdict = "partially_correct"
            grader, confidence = FREE_TEXT_GRADER, rng.uniform(0.35, 1.0)
        else:
            grader, confidence = OBJECTIVE_GRADER.get(item.type, "rules"), 1.0
        provisional = confidence < UNSURE_BELOW
        grade_id = self._add(
            "grades",
            attempt_id=attempt_id,
            verdict=verdict,
            score=SCORES[verdict],
            feedback="Right." if right else "Not quite.",
            grader=grader,
            confidence=round(confidence, 3),
            provisional=provisional,
            details={},
            graded_by_id=None,
            supersedes_id=None,
            created_at=at,
        )
        if not provisional:
            return SCORES[verdict]
        review: dict[str, Any] = {
            "grade_id": grade_id,
            "status": ReviewStatus.PENDING,
            "reason": f"confidence {confidence:.2f} below {UNSURE_BELOW}",
            "reviewer_id": None,
            "final_grade_id": None,
            "note": "",
            "created_at": at,
            "reviewed_at": None,
        }
        final: float | None = None
        if self.now - at > timedelta(days=7) and rng.random() < 0.7:
            agree = rng.random() < 0.6
            decided = verdict if agree else rng.choice(("correct", "incorrect"))
            decided_at = at + timedelta(days=rng.uniform(0.5, 4))
            final = SCORES[decided]
            review |= {
                "status": ReviewStatus.CONFIRMED if agree else ReviewStatus.OVERRIDDEN,
                "reviewer_id": teacher_id,
                "reviewed_at": decided_at,
                "final_grade_id": self._add(
                    "grades",
                    attempt_id=attempt_id,
                    verdict=decided,
                    score=final,
                    feedback="Reviewed by your teacher.",
                    grader="teacher",
                    confidence=1.0,
                    provisional=False,
                    details={"review_id": len(self.rows["review_queue"]) + 1},
                    graded_by_id=teacher_id,
                    supersedes_id=grade_id,
                    created_at=decided_at,
                ),
            }
        self._add("review_queue", **review)
        return final

    def _question(self, user_id: int, item: ItemInfo, at: datetime, language: str) -> None:
        rng = self.rng
        conversation_id = self._add(
            "tutor_conversations",
            user_id=user_id,
            course_id=self.course_id,
            item_id=item.id if rng.random() < 0.7 else None,
            language=language,
            created_at=at,
        )
        for q in range(rng.choice((1, 1, 2, 3))):
            asked = at + timedelta(seconds=30 * q)
            for role, content, later in (
                ("user", rng.choice(QUESTIONS), 0),
                ("assistant", "Think of the whole as equal parts.", 5),
            ):
                self._add(
                    "tutor_messages",
                    conversation_id=conversation_id,
                    role=role,
                    mode="answer",
                    content=content,
                    citations=[],
                    model="bench" if role == "assistant" else "",
                    created_at=asked + timedelta(seconds=later),
                )


def _split(rng: random.Random, answers: int, students: int) -> list[int]:
    """How many answers each student gave: some practise much more than others."""
    weights = [rng.lognormvariate(0, 0.6) for _ in range(students)]
    total = sum(weights)
    counts = [int(answers * w / total) for w in weights]
    for k in range(answers - sum(counts)):
        counts[k % students] += 1
    return counts


def _school(s: Any, students: int, term_start: datetime) -> tuple[list[int], dict[int, list[int]]]:
    """Two teachers with a class each, the course in both, and ``students`` students (a
    twentieth of them in both classes); the class ids and each class's students."""
    from learnloop.services import classes, courses, users
    from learnloop.storage.tables import Enrolment, Role, User

    courses.import_path(s, path=COURSES_DIR / COURSE, embedder=None)
    class_ids = []
    for n, name in enumerate(TEACHERS, 1):
        users.create_user(s, username=name, password=PASSWORD, role=Role.TEACHER)
        klass = classes.ensure_class(s, name=f"Class {n}")
        class_ids.append(klass.id)
        classes.enrol(s, class_name=klass.name, username=name, role=Role.TEACHER)
        classes.add_course(s, class_name=klass.name, course_id=COURSE)
    conn = s.connection()
    first = (conn.scalar(select(func.max(User.id))) or 0) + 1
    password_hash = users.hash_password(PASSWORD)  # once: argon2 is slow on purpose
    ids = list(range(first, first + students))
    _insert(
        conn,
        User.__table__,
        [
            {
                "id": uid,
                "username": f"s{n:04d}",
                "display_name": f"Student {n + 1}",
                "role": Role.STUDENT,
                "password_hash": password_hash,
                "language": _language(n),
                "is_active": True,
                "created_at": term_start - timedelta(days=7),
            }
            for n, uid in enumerate(ids)
        ],
    )
    half, shared = students // 2, max(1, students // 20)
    members = {
        class_ids[0]: ids[: half + shared // 2],
        class_ids[1]: ids[half - (shared - shared // 2) :],
    }
    _insert(
        conn,
        Enrolment.__table__,
        [
            {"class_id": cid, "user_id": uid, "role": Role.STUDENT, "created_at": term_start}
            for cid, uids in members.items()
            for uid in uids
        ],
    )
    return class_ids, members


def _language(n: int) -> str:
    return "zh" if n % 10 == 9 else "en"


TABLES = (
    "attempts",
    "grades",
    "review_queue",
    "mastery",
    "tutor_conversations",
    "tutor_messages",
)


def load_school(url: str, data_dir: Path, *, students: int, answers: int, seed: int) -> Loaded:
    """A fresh school in the empty database at ``url`` (see the module docstring)."""
    from learnloop.services import Backend
    from learnloop.settings import Settings
    from learnloop.storage.tables import Base, CourseRow, User
    from learnloop.tracing import FittedMastery

    started = time.perf_counter()
    rng = random.Random(seed)
    backend = Backend.open(Settings(database_url=url, data_dir=data_dir), check_schema=False)
    try:
        backend.upgrade()
        model = FittedMastery(data_dir=data_dir).current()  # the live model: BKT, no fit yet
        with backend.transaction() as s:
            conn = s.connection()
            start = datetime.now(UTC) - timedelta(weeks=TERM_WEEKS, days=1)
            start = start.replace(hour=0, minute=0, second=0, microsecond=0)
            class_ids, members = _school(s, students, start)
            course = select(CourseRow.id).where(CourseRow.key == COURSE)
            course_id = conn.execute(course).scalar_one()
            term = Term(rng, model, _course_items(conn), course_id=course_id, start=start)
            found = conn.execute(select(User.username, User.id).where(User.username.in_(TEACHERS)))
            teacher_ids = {name: uid for name, uid in found}
            teacher_of: dict[int, int] = {}
            for cid, name in zip(class_ids, TEACHERS, strict=True):
                for uid in members[cid]:
                    teacher_of.setdefault(uid, teacher_ids[name])
            ids = sorted(teacher_of)
            counts = _split(rng, answers, students)
            for n, (uid, count) in enumerate(zip(ids, counts, strict=True)):
                term.student(
                    uid,
                    count,
                    mean_answers=answers / students,
                    teacher_id=teacher_of[uid],
                    language=_language(n),
                )
            _say(f"  generated {answers:,} answers; inserting ...")
            for table in TABLES:
                _insert(conn, Base.metadata.tables[table], term.rows[table])
            if conn.dialect.name == "postgresql":  # explicit ids: move the sequences on
                for table in ("users", *TABLES):
                    if table != "mastery":
                        conn.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))"
                            )
                        )
        if backend.engine.dialect.name == "postgresql":
            with backend.engine.connect() as c:
                c.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        first_class = set(members[class_ids[0]])
        heaviest = max((c, uid) for uid, c in zip(ids, counts, strict=True) if uid in first_class)
        reviews = term.rows["review_queue"]
        return Loaded(
            class_ids=class_ids,
            teacher=TEACHERS[0],
            student_id=heaviest[1],
            counts={
                "students": students,
                "answers": len(term.rows["attempts"]),
                "grades": len(term.rows["grades"]),
                "reviews": len(reviews),
                "reviews_pending": sum(r["status"] is ReviewStatus.PENDING for r in reviews),
                "mastery_rows": len(term.rows["mastery"]),
                "tutor_questions": len(term.rows["tutor_messages"]) // 2,
                "heaviest_student_answers": max(counts),
            },
            seconds=round(time.perf_counter() - started, 1),
        )
    finally:
        backend.close()


# --- timing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    path: str
    page: bool
    """An HTML page (opened with the session cookie) rather than a JSON route (a token)."""


def routes(school: Loaded) -> list[Route]:
    c1, sid = school.class_ids[0], school.student_id
    c = COURSE
    return [
        Route("teacher home", "/teach", True),
        Route("class", f"/teach/classes/{c1}", True),
        Route("heat map", f"/teach/classes/{c1}/courses/{c}/mastery", True),
        Route("student", f"/teach/students/{sid}", True),
        Route("student, course", f"/teach/students/{sid}?course_id={c}", True),
        Route("items", f"/teach/courses/{c}/items", True),
        Route("items, class", f"/teach/courses/{c}/items?class_id={c1}", True),
        Route("items, all", f"/teach/courses/{c}/items?show=all", True),
        Route("questions", f"/teach/courses/{c}/questions", True),
        Route("reviews", "/teach/reviews", True),
        Route("reviews, decided", "/teach/reviews?status=decided", True),
        Route("import", "/teach/import", True),
        Route("api classes", "/api/v1/classes", False),
        Route("api class", f"/api/v1/classes/{c1}", False),
        Route("api roster", f"/api/v1/classes/{c1}/roster", False),
        Route("api overview", f"/api/v1/classes/{c1}/overview/{c}", False),
        Route("api mastery map", f"/api/v1/analytics/classes/{c1}/mastery?course_id={c}", False),
        Route("api history", f"/api/v1/analytics/students/{sid}/history", False),
        Route("api items", f"/api/v1/analytics/courses/{c}/items", False),
        Route("api items, class", f"/api/v1/analytics/courses/{c}/items?class_id={c1}", False),
        Route("api questions", f"/api/v1/analytics/courses/{c}/tutor-questions", False),
        Route("api reviews", "/api/v1/reviews", False),
        Route("api attempts", f"/api/v1/attempts?course_id={c}", False),
        Route("api student mastery", f"/api/v1/students/{sid}/mastery/{c}", False),
        Route("api student progress", f"/api/v1/students/{sid}/progress", False),
        Route("api graders", f"/api/v1/courses/{c}/grader/models", False),
    ]


@dataclass
class Timing:
    name: str
    path: str
    page: bool
    status: int = 0
    requests: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    max_ms: float | None = None
    timed_out: bool = False
    kb: float | None = None
    table_rows: int | None = None


class Clients:
    """A browser-like client (session cookie) and an API client (bearer token) for the
    teacher; logged in again after a server restart."""

    def __init__(self, base_url: str, username: str, timeout: float) -> None:
        self.base_url, self.username, self.timeout = base_url, username, timeout
        self.page = httpx.Client(
            base_url=base_url, timeout=timeout, headers={"Accept": "text/html"}
        )
        self.api = httpx.Client(base_url=base_url, timeout=timeout)

    def login(self) -> None:
        self.page.cookies.clear()
        r = self.page.post("/login", data={"username": self.username, "password": PASSWORD})
        if r.status_code != 303:
            raise RuntimeError(f"the teacher could not log in: HTTP {r.status_code} {r.text[:300]}")
        r = self.api.post(
            "/api/v1/auth/login",
            json={"username": self.username, "password": PASSWORD, "kind": "api"},
        )
        r.raise_for_status()
        self.api.headers["Authorization"] = f"Bearer {r.json()['token']}"

    def close(self) -> None:
        self.page.close()
        self.api.close()


def _cancel_queries(url: str, application_name: str) -> None:
    """After a server was killed mid-request: end its PostgreSQL queries (only ours)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": application_name},
            )
    finally:
        engine.dispose()


def time_routes(
    server: Server,
    clients: Clients,
    chosen: list[Route],
    *,
    requests: int,
    on_restart: Any,
) -> list[Timing]:
    timings = []
    for route in chosen:
        client = clients.page if route.page else clients.api
        t = Timing(route.name, route.path, route.page)
        times: list[float] = []
        for n in range(requests + 1):
            t0 = time.perf_counter()
            try:
                r = client.get(route.path)
            except httpx.TimeoutException:
                t.timed_out = True
                _say(f"  {route.name}: no answer within {clients.timeout:g} s; restarting")
                server.kill()
                on_restart()
                server.start(timeout=120)
                clients.login()
                break
            elapsed = (time.perf_counter() - t0) * 1000
            t.status = r.status_code
            if r.status_code != 200:
                _say(f"  {route.name}: HTTP {r.status_code} {r.text[:200]}")
                break
            if n == 0:
                t.kb = round(len(r.content) / 1024, 1)
                if route.page:
                    t.table_rows = r.text.count("<tr")
                continue  # the warm-up
            times.append(elapsed)
        if times:
            t.requests = len(times)
            t.p50_ms = round(percentile(times, 50), 1)
            t.p95_ms = round(percentile(times, 95), 1)
            t.max_ms = round(max(times), 1)
        shown = f"p95 {t.p95_ms:.0f} ms" if t.p95_ms is not None else "-"
        _say(f"  {route.name}: {shown}{' (timed out)' if t.timed_out else ''}")
        timings.append(t)
    return timings


def run_database(db: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    data_dir = work / db / "data"
    data_dir.mkdir(parents=True)
    schema = None
    application_name = f"learnloop-school-{uuid.uuid4().hex[:8]}"
    if db == "postgres":
        schema, url = fresh_postgres_schema(args.postgres)
        server_url = f"{url}&application_name={application_name}"
    else:
        url = server_url = f"sqlite:///{work / db / 'learnloop.db'}"
    try:
        _say(f"{db}: loading {args.students} students and {args.answers:,} answers ...")
        school = load_school(
            url, data_dir, students=args.students, answers=args.answers, seed=args.seed
        )
        _say(f"{db}: loaded in {school.seconds:.0f} s: {school.counts}")
        server = Server(
            url=server_url,
            data_dir=data_dir,
            port=free_port(),
            workers=1,
            settings={"chat_backend": "off", "embedding_model": "none"},
        )

        def on_restart() -> None:
            if db == "postgres":
                _cancel_queries(args.postgres, application_name)

        chosen = [
            r
            for r in routes(school)
            if not args.routes or any(w.strip() in r.name for w in args.routes.split(","))
        ]
        server.start(timeout=120)
        clients = Clients(server.base_url, school.teacher, args.timeout)
        try:
            clients.login()
            timings = time_routes(
                server, clients, chosen, requests=args.requests, on_restart=on_restart
            )
        finally:
            clients.close()
            server.stop()
            on_restart()
        return {
            "database": database_version(url),
            "load_seconds": school.seconds,
            "counts": school.counts,
            "routes": [asdict(t) for t in timings],
        }
    finally:
        if schema:
            drop_postgres_schema(args.postgres, schema)


# --- output --------------------------------------------------------------------------------


def _ms(t: dict[str, Any], key: str, timeout: float) -> str:
    if t[key] is None:
        return f"> {timeout * 1000:,.0f}" if t["timed_out"] else f"HTTP {t['status']}"
    return f"{t[key]:,.0f}"


def _rows(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    dbs = list(report["databases"])
    header = ["route", "path"]
    for db in dbs:
        header += [f"{db} p50 ms", f"{db} p95 ms"]
    header += ["page KB", "table rows", "p95 < 1 s"]
    by_name: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    order: list[str] = []
    for db in dbs:
        for t in report["databases"][db]["routes"]:
            if t["name"] not in by_name:
                order.append(t["name"])
            by_name[t["name"]][db] = t
    lines = []
    for name in order:
        per_db = by_name[name]
        any_t = next(iter(per_db.values()))
        row = [name, any_t["path"]]
        ok = True
        for db in dbs:
            t = per_db.get(db)
            if t is None:
                row += ["", ""]
                continue
            row += [_ms(t, "p50_ms", report["timeout_s"]), _ms(t, "p95_ms", report["timeout_s"])]
            ok = ok and t["p95_ms"] is not None and t["p95_ms"] < TARGET_MS
        kb = any_t["kb"]
        row += [
            f"{kb:,.0f}" if kb is not None else "",
            str(any_t["table_rows"]) if any_t["table_rows"] is not None else "",
            "yes" if ok else "no",
        ]
        lines.append(row)
    return header, lines


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    header, rows = _rows(report)
    lines = [
        f"# Teacher pages at a school's size ({report['date']})",
        "",
        f"`{report['command']}`",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores (shared; load average {m['load_average']} "
        f"at the start), Python {m['python']}.",
        "",
        f"{report['students']} students in two classes, {report['answers']:,} answers in the "
        f"Fractions course over {TERM_WEEKS} weeks; `learnloop serve --workers 1`; each route "
        f"{report['requests']} times after a warm-up, one request at a time. Target: p95 under "
        f"{TARGET_MS / 1000:g} s. `table rows`: the page's `<tr>` count, a proxy for its height.",
        "",
    ]
    for db, result in report["databases"].items():
        lines.append(
            f"- {db}: {result['database']}; loaded in {result['load_seconds']:.0f} s: "
            + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in result["counts"].items())
        )
    lines += [
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join([r[0], f"`{r[1]}`", *r[2:]]) + " |" for r in rows),
        "",
    ]
    return "\n".join(lines)


def print_table(report: dict[str, Any]) -> None:
    header, rows = _rows(report)
    t = Table(title=f"{report['students']} students, {report['answers']:,} answers")
    for col in header:
        t.add_column(col, justify="left" if col in ("route", "path") else "right")
    for r in rows:
        t.add_row(*r)
    out.print(t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per route")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds before a request counts as hung"
    )
    parser.add_argument("--routes", default="", help="only routes whose name has one of these")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("LEARNLOOP_TEST_POSTGRES_URL", POSTGRES_URL),
        help="PostgreSQL URL (a schema of its own is made and dropped) [default: %(default)s]",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--results", default=str(ROOT / "bench" / "results"))
    parser.add_argument("--name", default="school", help="results file name before the date")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    args = parser.parse_args()
    if args.students < 4:
        parser.error("--students must be at least 4 (two classes with a few shared)")
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["bench/school.py", *sys.argv[1:]]),
        "machine": machine(),
        "versions": versions("sqlalchemy", "fastapi", "uvicorn", "psycopg"),
        "students": args.students,
        "answers": args.answers,
        "requests": args.requests,
        "timeout_s": args.timeout,
        "seed": args.seed,
        "databases": {},
    }
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory(prefix="learnloop-school-") as tmp:
        for db in dbs:
            report["databases"][db] = run_database(db, args, Path(tmp))
    print_table(report)
    if not args.no_save:
        stem = write_report(Path(args.results), args.name, report, markdown(report))
        err.print(f"wrote {stem}.json and .md")


if __name__ == "__main__":
    main()
