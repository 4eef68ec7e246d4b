"""A server killed mid-load (SIGKILL, no shutdown code) loses no acknowledged answer, and
retries of the answers that were in flight store each of them exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.answer_load import Load, Server, check_answers, free_port, prepare

pytestmark = pytest.mark.slow

STUDENTS = 16
CONCURRENCY = 8


@pytest.fixture
def server_for() -> Iterator[list[Server]]:
    """Servers started by the test; any still running at the end are stopped."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


async def _answer_then_kill(load: Load, server: Server) -> None:
    """Answer for a while, kill the server while answers are in flight, then stop sending."""
    run = asyncio.create_task(load.run(duration=30))
    while len(load.acked) < 40 and not run.done():
        await asyncio.sleep(0.05)
    server.kill()
    await asyncio.sleep(0.3)  # answers sent now meet a dead server
    load.stop()
    await run


def _crash_and_recover(url: str, data_dir: Path, started: list[Server]) -> None:
    students, bank = prepare(url, students=STUDENTS)
    user_ids = [s.user_id for s in students]
    server = Server(url=url, data_dir=data_dir, port=free_port())
    started.append(server)
    server.start()
    load = Load(server.base_url, students, bank, CONCURRENCY, timeout=10)

    asyncio.run(_answer_then_kill(load, server))
    assert len(load.acked) >= 40
    assert load.errors, "no answer failed: the kill did not happen while answering"

    server.start()
    after_restart = check_answers(url, user_ids=user_ids, acked=load.acked, sent=set(load.sent))
    assert after_restart.missing == [], "acknowledged answers were lost"
    assert after_restart.duplicated == []
    assert after_restart.wrong_id == []
    assert after_restart.ungraded == [], "an answer was acknowledged before its grade was stored"
    assert after_restart.unknown == 0

    unacknowledged = [key for key in load.sent if key not in load.acked]
    codes = asyncio.run(load.resend(unacknowledged))
    assert set(codes) <= {200, 201}, codes
    # stored before the kill but never acknowledged: the retry replays it, it is not stored again
    assert codes[200] == after_restart.stored_not_acknowledged

    final = check_answers(url, user_ids=user_ids, acked=load.acked, sent=set(load.sent))
    assert final.ok, final
    assert final.stored == len(load.sent) == final.acknowledged


def test_sqlite_server_killed_mid_load_keeps_every_acknowledged_answer(
    sqlite_url: str, tmp_path: Path, server_for: list[Server]
) -> None:
    _crash_and_recover(sqlite_url, tmp_path, server_for)


@pytest.mark.postgres
def test_postgres_server_killed_mid_load_keeps_every_acknowledged_answer(
    postgres_url: str, tmp_path: Path, server_for: list[Server]
) -> None:
    _crash_and_recover(postgres_url, tmp_path, server_for)
