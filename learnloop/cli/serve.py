"""``learnloop serve`` and ``learnloop demo``."""

from __future__ import annotations

import click
import uvicorn

from learnloop.cli.base import cli, console, progress_bar
from learnloop.services import Backend
from learnloop.services.demo import DEMO_ACCOUNTS, setup_demo
from learnloop.settings import get_settings


def _run_server(host: str, port: int, workers: int) -> None:
    Backend.open().close()  # fail fast, with a clear message, on a missing or old database
    console.print(f"learnloop is serving on http://{host}:{port}  (API docs: /docs; Ctrl+C stops)")
    uvicorn.run(
        "learnloop.web.app:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=get_settings().log_level,
    )


@cli.command()
@click.option(
    "--host", default=None, help="Interface to listen on [default: LEARNLOOP_HOST or 127.0.0.1]."
)
@click.option("--port", type=int, default=None, help="Port [default: LEARNLOOP_PORT or 8000].")
@click.option(
    "--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Server processes."
)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Run the web server."""
    settings = get_settings()
    _run_server(host or settings.host, port or settings.port, workers)


@cli.command()
@click.option(
    "--serve/--no-serve",
    "then_serve",
    default=True,
    show_default=True,
    help="Start the server when the demo is ready.",
)
@click.option("--host", default=None, help="Interface to listen on.")
@click.option("--port", type=int, default=None, help="Port.")
def demo(then_serve: bool, host: str | None, port: int | None) -> None:
    """Set up the demo (database, both demo courses, demo accounts) and start the server."""
    settings = get_settings()
    backend = Backend.open(check_schema=False)
    with progress_bar("setting up the demo") as tick:
        done = setup_demo(backend, progress=tick)
    backend.close()
    for line in done:
        console.print(line, markup=False)
    host, port = host or settings.host, port or settings.port
    console.print(f"\nDemo ready. Open http://{host}:{port} and log in as one of:")
    for account in DEMO_ACCOUNTS:
        console.print(
            f"  {account.role.value:<8} user: {account.username:<10} password: {account.password}",
            markup=False,
        )
    if then_serve:
        _run_server(host, port, 1)
