"""The ``learnloop`` command line: every operation the product has."""

from __future__ import annotations

from learnloop.cli import course, db, kt, serve, user  # noqa: F401  (registers the commands)
from learnloop.cli.base import cli


def main() -> None:
    cli(prog_name="learnloop")


__all__ = ["cli", "main"]
