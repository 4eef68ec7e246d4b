"""The ``learnloop`` command line: every operation the product has."""

from __future__ import annotations

# importing a module registers its commands
from learnloop.cli import (  # noqa: F401
    course,
    db,
    grader,
    grader_registry,
    kt,
    llm,
    material,
    recommend,
    serve,
    tutor,
    user,
    worker,
)
from learnloop.cli.base import cli


def main() -> None:
    cli(prog_name="learnloop")


__all__ = ["cli", "main"]
