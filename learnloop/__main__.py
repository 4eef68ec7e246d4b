"""``python -m learnloop`` is the ``learnloop`` command."""

from __future__ import annotations

from learnloop.cli import main

main()
