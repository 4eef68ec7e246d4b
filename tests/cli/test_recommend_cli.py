"""``learnloop next``, ``learnloop path`` and ``learnloop kt forgetting`` on the default SQLite
database, as a teacher or an operator would use them."""

from __future__ import annotations

import json
from pathlib import Path

from learnloop.services import Backend, classes
from learnloop.settings import get_settings
from tests.cli.test_cli import run


def _school(tiny_pack: Path) -> None:
    assert run("db", "upgrade").exit_code == 0
    assert run("course", "import", str(tiny_pack)).exit_code == 0
    added = run("user", "add", "ana", "--password-stdin", input="password1\n")
    assert added.exit_code == 0, added.output
    backend = Backend.open(get_settings())
    with backend.transaction() as s:  # a student sees the courses of their classes
        classes.ensure_class(s, name="K")
        classes.enrol(s, class_name="K", username="ana")
        classes.add_course(s, class_name="K", course_id="tiny")
    backend.close()


def test_next_says_what_and_why_in_either_language(tiny_pack: Path) -> None:
    _school(tiny_pack)
    out = run("next", "tiny", "--as", "ana")
    assert out.exit_code == 0, out.output
    assert "q1" in out.output and "Halves" in out.output
    assert "needs nothing before it" in out.output
    zh = run("next", "tiny", "--as", "ana", "--language", "zh", "--json")
    body = json.loads(zh.output)
    assert body["kind"] == "item" and body["concept_id"] == "halves"
    assert "二分之一" in body["explanation"]


def test_path_lists_the_steps_to_a_goal_and_can_keep_it(tiny_pack: Path) -> None:
    _school(tiny_pack)
    none = run("path", "tiny", "--as", "ana")
    assert "no goal" in none.output
    shown = run("path", "tiny", "--as", "ana", "--goal", "quarters", "--set")
    assert shown.exit_code == 0, shown.output
    table = shown.output.split("\n", 1)[1]  # below the title, which names the goal
    assert table.index("Halves") < table.index("Quarters")
    assert "not started" in shown.output
    kept = json.loads(run("path", "tiny", "--as", "ana", "--json").output)
    assert kept["goal"] == "quarters"
    assert [s["concept_id"] for s in kept["steps"]] == ["halves", "quarters"]


def test_unknown_things_are_one_clear_line(tiny_pack: Path) -> None:
    _school(tiny_pack)
    bad = run("path", "tiny", "--as", "ana", "--goal", "nope")
    assert bad.exit_code == 1
    assert "no concept 'nope'" in bad.output and "Traceback" not in bad.output
    who = run("next", "tiny", "--as", "nobody")
    assert who.exit_code == 1 and "nobody" in who.output


def test_forgetting_waits_for_enough_history(tiny_pack: Path) -> None:
    _school(tiny_pack)
    out = run("kt", "forgetting")
    assert out.exit_code == 0
    assert "not enough history" in out.output
