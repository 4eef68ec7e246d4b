"""The command line: every command has help, errors are one line, the whole flow works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from learnloop import __version__
from learnloop.cli import cli
from learnloop.settings import get_settings


def run(*args: str, input: str | None = None) -> Result:
    get_settings.cache_clear()
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out += _all_commands(command, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


@pytest.mark.parametrize("command", _all_commands(cli), ids=lambda c: " ".join(c) or "learnloop")
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output
    assert len(result.output.splitlines()) > 3


def test_expected_commands_exist() -> None:
    names = {" ".join(c) for c in _all_commands(cli)}
    assert {
        "serve",
        "demo",
        "db upgrade",
        "db current",
        "course validate",
        "course import",
        "course export",
        "course list",
        "user add",
        "user list",
        "user set-role",
    } <= names


def test_full_flow_on_the_default_sqlite_database(tiny_pack: Path, tmp_path: Path) -> None:
    assert run("db", "upgrade").exit_code == 0
    assert (tmp_path / "data" / "learnloop.db").exists()

    validated = run("course", "validate", str(tiny_pack))
    assert validated.exit_code == 0 and "OK, no errors" in validated.output

    imported = run("course", "import", str(tiny_pack))
    assert imported.exit_code == 0, imported.output
    assert "course 'tiny' imported" in imported.output

    listed = run("course", "list")
    assert "tiny" in listed.output and "3 items" in listed.output

    out = tmp_path / "out"
    exported = run("course", "export", "tiny", str(out))
    assert exported.exit_code == 0
    assert (out / "course.yaml").exists()

    added = run("user", "add", "ana", "--role", "teacher", "--password-stdin", input="password1\n")
    assert added.exit_code == 0 and "created teacher 'ana'" in added.output
    assert run("user", "set-role", "ana", "student").exit_code == 0
    assert "ana" in run("user", "list", "--role", "student").output


def test_errors_are_one_clear_line_and_non_zero(tiny_pack: Path) -> None:
    not_migrated = run("course", "list")
    assert not_migrated.exit_code == 1
    assert "run: learnloop db upgrade" in not_migrated.output
    assert "Traceback" not in not_migrated.output

    run("db", "upgrade")
    short = run("user", "add", "ana", "--password-stdin", input="abc\n")
    assert short.exit_code == 1
    assert short.output.strip().splitlines()[-1].startswith("error: the password is too short")

    missing = run("course", "export", "nope", "/tmp/x")
    assert missing.exit_code == 1 and "no course with id 'nope'" in missing.output


def test_validate_lists_every_problem_with_file_and_line(tiny_pack: Path) -> None:
    items = tiny_pack / "items" / "all.yaml"
    items.write_text(
        items.read_text()
        .replace("concepts: [halves]", "concepts: [halvez]", 1)
        .replace("type: multiple_choice", "type: multi_choice")
    )
    result = run("course", "validate", str(tiny_pack))
    assert result.exit_code == 1
    assert "items/all.yaml:4" in result.output  # the unknown concept
    assert "multi_choice" in result.output
    assert "2 problems" in result.output
    assert "Traceback" not in result.output


def test_a_bad_database_url_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    env = {
        "LEARNLOOP_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x?connect_timeout=2",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "learnloop", "db", "current"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: cannot reach the database")
    assert "Traceback" not in proc.stderr
