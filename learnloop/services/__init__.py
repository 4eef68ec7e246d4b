"""Use cases shared by the web API, the CLI and the Python API."""

from __future__ import annotations

from learnloop.services.context import Backend

__all__ = ["Backend"]
