"""The web interface: the JSON API and the pages."""

from __future__ import annotations

from learnloop.web.app import create_app

__all__ = ["create_app"]
