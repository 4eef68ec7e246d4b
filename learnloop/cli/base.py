"""The ``learnloop`` command group: one-line errors, never a traceback."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from learnloop import __version__
from learnloop.errors import CoursePackError, InvalidInputError, LearnloopError

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def key_values(values: tuple[str, ...], what: str, form: str = "KEY=VALUE") -> dict[str, str]:
    """Repeated ``KEY=VALUE`` options (``what`` names the option in the error)."""
    out = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key.strip() or not val.strip():
            raise InvalidInputError(f"{what} {value!r} is not {form}")
        out[key.strip()] = val.strip()
    return out


def parse_params(values: tuple[str, ...]) -> dict[str, Any]:
    """Hyper-parameters as ``--param KEY=VALUE``, VALUE read as JSON when it parses
    (numbers, true, [0.001, 0.3], {"a": 1}) and as a string otherwise; JSON lists become
    tuples (n-gram ranges, member lists)."""
    out: dict[str, Any] = {}
    for key, raw in key_values(values, "--param").items():
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out[key] = tuple(value) if isinstance(value, list) else value
    return out


console = Console(highlight=False, soft_wrap=True)


class LearnloopGroup(click.Group):
    """Turns every error into one clear line on stderr and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CoursePackError as exc:
            for problem in exc.problems:
                err_console.print(f"  {problem}", markup=False)
            err_console.print(f"error: {exc.message.split(';')[0]}", markup=False)
            sys.exit(1)
        except LearnloopError as exc:
            err_console.print(f"error: {exc.message}", markup=False)
            sys.exit(1)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            err_console.print("interrupted")
            sys.exit(130)
        except Exception as exc:
            if os.environ.get("LEARNLOOP_DEBUG"):
                raise
            err_console.print(
                f"error: unexpected {type(exc).__name__}: {exc} "
                "(set LEARNLOOP_DEBUG=1 to see the traceback, and please report it)",
                markup=False,
            )
            sys.exit(2)


@contextmanager
def progress_bar(description: str) -> Iterator[Any]:
    """A rich progress bar on stderr; yields a ``(step, done, total)`` callback."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(step: str, done: int, total: int) -> None:
            bar.update(task, description=f"{description}: {step}", completed=done, total=total)

        yield update


@click.group(cls=LearnloopGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="learnloop")
def cli() -> None:
    """learnloop: personalized learning with a tutor and an assessment engine in one loop.

    Settings come from LEARNLOOP_* environment variables (see docs/configuration.md); by
    default the data lives in a SQLite file in your user data directory.
    """
