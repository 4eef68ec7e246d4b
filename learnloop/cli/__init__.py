"""The ``learnloop`` command line: every operation the product has."""

from __future__ import annotations

# importing a module registers its commands
from learnloop.cli import course, db, grader, grader_registry, kt, serve, user, worker  # noqa: F401
from learnloop.cli.base import cli


def main() -> None:
    cli(prog_name="learnloop")


__all__ = ["cli", "main"]
