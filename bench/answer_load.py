"""Many students answering at once against a real ``learnloop serve``; no answer may be lost.

Run::

    .venv/bin/python bench/answer_load.py                      # SQLite, 20 s
    .venv/bin/python bench/answer_load.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

It builds a fresh database (the demo courses and ``--students`` student accounts in the demo
class, each with an API token), starts ``learnloop serve --workers N`` as a subprocess, and has
``--concurrency`` simulated students post rule-graded answers to the Fractions course (numeric,
multiple choice, expression and text items; right and wrong) for ``--duration`` seconds, each
answer with its own idempotency key. A student never has two answers in flight, as in a
browser. It prints throughput and latency, then checks the database: every acknowledged answer
is stored exactly once and graded, and no row exists that the client did not send.

After the cut-off no new answer is started and the ones in flight are awaited, so an answer
the server stored but the client never saw acknowledged can only come from a request that
failed or timed out; those are reported as "stored, not acknowledged" and are not an error
(the client would retry them with the same key).

The same pieces (``prepare``, ``Server``, ``Load``, ``check_answers``) drive the crash test
in ``tests/web/test_crash_recovery.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from argon2 import PasswordHasher
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from learnloop import __version__
from learnloop.domain import Item, Verdict
from learnloop.grading import grade_response
from learnloop.services import Backend, classes, users
from learnloop.services.auth import issue_token
from learnloop.services.demo import DEMO_CLASS, setup_demo
from learnloop.services.learning import item_from_row
from learnloop.services.progress import concept_keys_of_item
from learnloop.settings import Settings
from learnloop.storage.tables import AttemptRow, CourseRow, GradeRow, ItemRow, Role, User

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
COURSE = "fractions"
TARGET_RATE = 300.0
TARGET_P99_MS = 100.0
RULE_GRADED = ("numeric", "multiple_choice", "expression", "text")
WRONG = {"numeric": "9999", "expression": "x + 12345", "text": "banana"}


# --- the database --------------------------------------------------------------------------


@dataclass(frozen=True)
class Student:
    user_id: int
    username: str
    token: str


@dataclass(frozen=True)
class Answer:
    item_id: str
    response: str | list[str]
    verdict: str
    """What the rule grader says about this response; the server must agree."""


def fresh_postgres_schema(url: str) -> tuple[str, str]:
    """A new empty schema in ``url``'s database; returns (schema, url that uses it)."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    sep = "&" if "?" in url else "?"
    return schema, f"{url}{sep}options=-csearch_path%3D{schema}"


def drop_postgres_schema(url: str, schema: str) -> None:
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def prepare(url: str, *, students: int) -> tuple[list[Student], list[Answer]]:
    """Migrate, load the demo, add ``students`` students with API tokens; build the answers.

    Students never log in with their password, so their hashes use cheap argon2 parameters
    (set-up of a few hundred accounts takes seconds rather than minutes).
    """
    saved = users._hasher
    users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    backend = Backend.open(Settings(database_url=url), check_schema=False)
    try:
        setup_demo(backend)
        out = []
        with backend.transaction() as s:
            for n in range(students):
                name = f"load-{n:05d}"
                info = users.create_user(
                    s, username=name, password="load-password", role=Role.STUDENT
                )
                classes.enrol(s, class_name=DEMO_CLASS, username=name)
                user = s.get(User, info.id)
                assert user is not None
                issued = issue_token(s, user=user, kind="api", name="answer_load")
                out.append(Student(user_id=info.id, username=name, token=issued.token))
        with backend.transaction() as s:
            bank = answer_bank(s)
    finally:
        backend.close()
        users._hasher = saved
    return out, bank


def _right_response(item: Item) -> str | list[str]:
    spec = item.answer
    assert spec is not None
    kind = item.type.value
    if kind == "multiple_choice":
        right = [c.id for c in spec.choices if c.correct]  # type: ignore[union-attr]
        return right if len(right) > 1 else right[0]
    if kind == "numeric":
        value = str(spec.value)  # type: ignore[union-attr]
        unit = getattr(spec, "unit", None)
        return f"{value} {unit}" if unit else value
    if kind == "expression":
        return str(spec.expression)  # type: ignore[union-attr]
    accept = spec.accept  # type: ignore[union-attr]
    return str(accept[0]) if accept else ""


def _wrong_response(item: Item) -> str | list[str]:
    if item.type.value == "multiple_choice":
        return next(c.id for c in item.answer.choices if not c.correct)  # type: ignore[union-attr]
    return WRONG[item.type.value]


def answer_bank(s: Any) -> list[Answer]:
    """A right and a wrong answer to every rule-graded Fractions item, checked by grading them
    here; an item whose "right" answer does not grade correct here is left out."""
    course = s.scalar(select(CourseRow).where(CourseRow.key == COURSE))
    rows = s.scalars(
        select(ItemRow)
        .where(ItemRow.course_id == course.id, ItemRow.type.in_(RULE_GRADED))
        .order_by(ItemRow.position)
    ).all()
    bank = []
    for row in rows:
        item = item_from_row(row, concept_keys_of_item(s, row.id))
        right, wrong = _right_response(item), _wrong_response(item)
        if grade_response(item, right).verdict is not Verdict.CORRECT:
            continue
        bank.append(Answer(row.key, right, Verdict.CORRECT.value))
        bank.append(Answer(row.key, wrong, grade_response(item, wrong).verdict.value))
    return bank


@dataclass
class Check:
    acknowledged: int
    stored: int
    missing: list[str]
    """Acknowledged keys with no attempt row: lost answers."""
    duplicated: list[str]
    """Keys stored more than once."""
    wrong_id: list[str]
    """Acknowledged with an attempt id other than the stored row's."""
    ungraded: list[str]
    """Acknowledged answers with no grade stored."""
    unknown: int
    """Rows of the load's students whose key the client never sent."""
    stored_not_acknowledged: int
    """Sent, not acknowledged (error, timeout, server killed), but stored: a retry replays it."""

    @property
    def ok(self) -> bool:
        return not (
            self.missing or self.duplicated or self.wrong_id or self.ungraded or self.unknown
        )


def check_answers(url: str, *, user_ids: list[int], acked: dict[str, int], sent: set[str]) -> Check:
    """Compare what the client was told with what is in the database."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    AttemptRow.idempotency_key,
                    AttemptRow.id,
                    select(func.count(GradeRow.id))
                    .where(GradeRow.attempt_id == AttemptRow.id)
                    .scalar_subquery(),
                ).where(AttemptRow.user_id.in_(user_ids))
            ).all()
    finally:
        engine.dispose()
    counts = Counter(key for key, _, _ in rows)
    by_key = {key: (attempt_id, grades) for key, attempt_id, grades in rows}
    return Check(
        acknowledged=len(acked),
        stored=len(rows),
        missing=sorted(k for k in acked if k not in by_key),
        duplicated=sorted(k for k, n in counts.items() if n > 1),
        wrong_id=sorted(k for k, i in acked.items() if k in by_key and by_key[k][0] != i),
        ungraded=sorted(k for k in acked if k in by_key and by_key[k][1] == 0),
        unknown=sum(1 for k in by_key if k not in sent),
        stored_not_acknowledged=sum(1 for k in by_key if k in sent and k not in acked),
    )


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``learnloop serve`` in its own process group, so a kill takes every worker with it."""

    def __init__(
        self,
        *,
        url: str,
        data_dir: Path,
        port: int,
        workers: int = 1,
        log_level: str = "warning",
        settings: dict[str, str] | None = None,
    ) -> None:
        self.url, self.data_dir, self.port, self.workers = url, data_dir, port, workers
        self.log_level = log_level
        self.settings = settings or {}
        """More ``LEARNLOOP_*`` settings for the server, e.g. ``{"THREADS": "8"}``."""
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = data_dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout: float = 30.0) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNLOOP_")}
        env |= {
            "LEARNLOOP_DATA_DIR": str(self.data_dir),
            "LEARNLOOP_DATABASE_URL": self.url,
            "LEARNLOOP_LOG_LEVEL": self.log_level,
        }
        env |= {f"LEARNLOOP_{k.upper()}": v for k, v in self.settings.items()}
        cmd = [sys.executable, "-m", "learnloop", "serve", "--port", str(self.port)]
        cmd += ["--workers", str(self.workers)]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited early:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/api/v1/health", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not answer within {timeout} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the whole server (supervisor and workers): no shutdown code runs."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def cpu_seconds(self) -> float:
        """User + system CPU of every live process in the server's group (Linux only)."""
        if self.proc is None:
            return 0.0
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == self.proc.pid:  # process group id
                    total += int(fields[11]) + int(fields[12])
        return total / tick

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


# --- the load ------------------------------------------------------------------------------


@dataclass
class Load:
    """Simulated students answering; collects latencies and what was acknowledged."""

    base_url: str
    students: list[Student]
    bank: list[Answer]
    concurrency: int
    seed: int = 0
    timeout: float = 10.0
    acked: dict[str, int] = field(default_factory=dict)
    sent: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Every request body sent, by idempotency key, with the student's token under ``_token``."""
    latencies: list[float] = field(default_factory=list)
    measure_from: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)
    wrong_verdicts: int = 0

    def __post_init__(self) -> None:
        if len(self.students) < self.concurrency:
            raise ValueError("need at least as many students as concurrent requests")
        self._keys = itertools.count()
        self._run = uuid.uuid4().hex[:8]
        self._stop_at = 0.0

    async def run(self, duration: float, *, warmup: float = 0.0) -> float:
        """Answer for ``warmup + duration`` seconds; latencies count after the warm-up.
        Returns the measured wall time (until the last in-flight answer came back)."""
        async with self._session() as client:
            start = time.perf_counter()
            self.measure_from = start + warmup
            self._stop_at = self.measure_from + duration
            await asyncio.gather(*(self._student_loop(client, n) for n in range(self.concurrency)))
            return time.perf_counter() - self.measure_from

    def stop(self) -> None:
        """Start no new answer; those in flight finish."""
        self._stop_at = 0.0

    def _session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            base_url=self.base_url,
            connector=aiohttp.TCPConnector(limit=self.concurrency),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        )

    async def _student_loop(self, client: aiohttp.ClientSession, lane: int) -> None:
        """One lane of the load: its students take turns, one answer in flight at a time."""
        mine = self.students[lane :: self.concurrency]
        rng = random.Random(self.seed * 10_000 + lane)
        for student in itertools.cycle(mine):
            if time.perf_counter() >= self._stop_at:
                return
            await self.post(client, student, rng.choice(self.bank))

    async def post(self, client: aiohttp.ClientSession, student: Student, answer: Answer) -> None:
        key = f"{self._run}-{next(self._keys)}"
        body: dict[str, Any] = {
            "course_id": COURSE,
            "item_id": answer.item_id,
            "response": answer.response,
            "idempotency_key": key,
        }
        self.sent[key] = {**body, "_token": student.token}
        t0 = time.perf_counter()
        try:
            async with client.post(
                "/api/v1/attempts",
                json=body,
                headers={"Authorization": f"Bearer {student.token}"},
            ) as r:
                status = r.status
                out = await r.json() if status in (200, 201) else None
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.errors[type(exc).__name__] += 1
            await asyncio.sleep(0.05)  # the server is down or overloaded: do not spin
            return
        t1 = time.perf_counter()
        if out is None:
            self.errors[f"HTTP {status}"] += 1
            return
        self.acked[key] = out["attempt_id"]
        if out["grade"]["verdict"] != answer.verdict:
            self.wrong_verdicts += 1
        if t0 >= self.measure_from:
            self.latencies.append(t1 - t0)

    async def resend(self, keys: list[str]) -> Counter[int]:
        """Send these requests again, with the same keys; returns the status codes."""
        codes: Counter[int] = Counter()
        async with self._session() as client:
            for key in keys:
                body = dict(self.sent[key])
                token = body.pop("_token")
                async with client.post(
                    "/api/v1/attempts", json=body, headers={"Authorization": f"Bearer {token}"}
                ) as r:
                    codes[r.status] += 1
                    if r.status in (200, 201):
                        self.acked[key] = (await r.json())["attempt_id"]
        return codes


# --- reporting -----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; ``q`` in [0, 100]."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


def machine_info(load_average: float) -> dict[str, Any]:
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "learnloop": __version__,
        "commit": commit + ("+changes" if dirty else ""),
        "load_average_before": round(load_average, 2),
        "nice": os.nice(0),
    }


def database_version(url: str) -> str:
    if make_url(url).get_backend_name() == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return "PostgreSQL " + str(conn.execute(text("show server_version")).scalar())
    finally:
        engine.dispose()


def render_table(rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k:<{width}}  {v}" for k, v in rows)


def summary_rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    r, c = result["results"], result["check"]
    return [
        ("database", result["database"]),
        ("server", f"learnloop serve --workers {result['config']['workers']}"),
        (
            "load",
            f"{result['config']['concurrency']} concurrent of {result['config']['students']} "
            f"students, {result['config']['duration_s']:g} s",
        ),
        ("answers acknowledged", f"{r['answers']:,}"),
        ("throughput", f"{r['answers_per_s']:.0f} answers/s (target >= {TARGET_RATE:.0f})"),
        ("latency p50", f"{r['p50_ms']:.1f} ms"),
        ("latency p95", f"{r['p95_ms']:.1f} ms"),
        ("latency p99", f"{r['p99_ms']:.1f} ms (target < {TARGET_P99_MS:.0f})"),
        ("latency max", f"{r['max_ms']:.1f} ms"),
        ("errors", ", ".join(f"{k}: {v}" for k, v in r["errors"].items()) or "none"),
        (
            "verdicts as expected",
            "yes" if r["wrong_verdicts"] == 0 else f"no ({r['wrong_verdicts']})",
        ),
        (
            "CPU per answer",
            f"server {r['server_cpu_ms_per_answer']:.2f} ms, "
            f"client {r['client_cpu_ms_per_answer']:.2f} ms",
        ),
        (
            "every ack stored once",
            "yes"
            if result["check_ok"]
            else f"NO: missing {len(c['missing'])}, duplicated {len(c['duplicated'])}, "
            f"wrong id {len(c['wrong_id'])}, ungraded {len(c['ungraded'])}, "
            f"unknown {c['unknown']}",
        ),
        ("stored, not acknowledged", str(c["stored_not_acknowledged"])),
        ("target met", "yes" if result["target_met"] else "no"),
    ]


def write_results(result: dict[str, Any], name: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS / f"{name}.json"
    json_path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    m = result["machine"]
    lines = [
        f"# answer_load: {result['database']}",
        "",
        f"{result['date']} on {m['cpu']} ({m['cores']} cores), {m['platform']}, "
        f"Python {m['python']}, learnloop {m['learnloop']} ({m['commit']}).",
        f"Load average (1 min) when it started: {m['load_average_before']}; nice "
        f"{m['nice']} (other processes share the cores; the client runs on the same machine).",
        "",
        f"Command: `{result['command']}`",
        "",
        "| measure | value |",
        "| --- | --- |",
        *(f"| {k} | {v} |" for k, v in summary_rows(result)),
        "",
    ]
    (RESULTS / f"{name}.md").write_text("\n".join(lines))
    return json_path


# --- the command ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8, help="answers in flight")
    parser.add_argument("--workers", type=int, default=2, help="learnloop serve --workers")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument(
        "--threads", type=int, help="LEARNLOOP_THREADS of the server [default: its default]"
    )
    parser.add_argument(
        "--log-level", default="info", help="the server's log level (info: with access log)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="learnloop-load-"))
    schema = None
    if args.postgres:
        schema, url = fresh_postgres_schema(args.postgres)
    else:
        url = f"sqlite:///{tmp / 'learnloop.db'}"
    db_name = "postgres" if args.postgres else "sqlite"
    server = Server(
        url=url,
        data_dir=tmp,
        port=args.port or free_port(),
        workers=args.workers,
        log_level=args.log_level,
        settings={"threads": str(args.threads)} if args.threads else None,
    )
    try:
        t0 = time.perf_counter()
        students, bank = prepare(url, students=args.students)
        print(
            f"prepared {len(students)} students and {len(bank)} answers to "
            f"{len(bank) // 2} items in {time.perf_counter() - t0:.1f} s ({db_name})"
        )
        server.start()
        load_before = os.getloadavg()[0]
        load = Load(server.base_url, students, bank, args.concurrency, seed=args.seed)
        cpu0, server_cpu0 = time.process_time(), server.cpu_seconds()
        elapsed = asyncio.run(load.run(args.duration, warmup=args.warmup))
        client_cpu = time.process_time() - cpu0
        server_cpu = server.cpu_seconds() - server_cpu0
        server.stop()
        check = check_answers(
            url, user_ids=[s.user_id for s in students], acked=load.acked, sent=set(load.sent)
        )
        ms = [x * 1000 for x in load.latencies]
        rate = len(ms) / elapsed
        p99 = percentile(ms, 99)
        result: dict[str, Any] = {
            "benchmark": "answer_load",
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": "python bench/answer_load.py " + " ".join(argv or sys.argv[1:]),
            "machine": machine_info(load_before),
            "database": database_version(url),
            "config": {
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "students": args.students,
                "concurrency": args.concurrency,
                "workers": args.workers,
                "server_log_level": args.log_level,
                "server_threads": args.threads or Settings().threads,
                "items": len(bank) // 2,
            },
            "results": {
                "answers": len(ms),
                "answers_per_s": rate,
                "p50_ms": percentile(ms, 50),
                "p95_ms": percentile(ms, 95),
                "p99_ms": p99,
                "max_ms": max(ms, default=float("nan")),
                "errors": dict(load.errors),
                "wrong_verdicts": load.wrong_verdicts,
                "server_cpu_s": server_cpu,
                "client_cpu_s": client_cpu,
                # warm-up included: CPU was counted over the whole run
                "server_cpu_ms_per_answer": 1000 * server_cpu / max(1, len(load.acked)),
                "client_cpu_ms_per_answer": 1000 * client_cpu / max(1, len(load.acked)),
                "elapsed_s": elapsed,
            },
            "check": asdict(check) | {"missing": check.missing[:20]},
            "check_ok": check.ok,
        }
        result["target_met"] = bool(
            check.ok and rate >= TARGET_RATE and p99 < TARGET_P99_MS and not load.errors
        )
        print(render_table(summary_rows(result)))
        if not args.no_save:
            path = write_results(result, f"answer_load-{db_name}")
            print(f"results: {path.relative_to(ROOT)} and .md")
        return 0 if check.ok else 1
    except BaseException:
        print(server.log_tail(), file=sys.stderr)
        raise
    finally:
        server.stop()
        if schema and not args.keep:
            assert args.postgres
            drop_postgres_schema(args.postgres, schema)


if __name__ == "__main__":
    sys.exit(main())
