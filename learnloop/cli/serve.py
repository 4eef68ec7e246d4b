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


def _prepare_tutor() -> str:
    """Assemble the local model now (once, with a progress bar) rather than on the first
    question; one line on how the tutor will answer."""
    settings = get_settings()
    from learnloop.errors import LearnloopError
    from learnloop.tutor.models import make_chat_model

    try:
        model = make_chat_model(settings)
        reason = model.unavailable_reason() if model is not None else "LEARNLOOP_CHAT_BACKEND=off"
        if model is not None and reason is None and settings.chat_backend == "local":
            from learnloop.tutor.weights import ensure_model

            ensure_model(settings.local_model, settings.data_dir)
    except LearnloopError as exc:
        model, reason = None, exc.message
    if model is None or reason is not None:
        return f"tutor: generation off ({reason}); it answers with course passages"
    return f"tutor: {model.describe()}"


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
    console.print(_prepare_tutor(), markup=False)
    host, port = host or settings.host, port or settings.port
    console.print(f"\nDemo ready. Open http://{host}:{port} and log in as one of:")
    for account in DEMO_ACCOUNTS:
        console.print(
            f"  {account.role.value:<8} user: {account.username:<10} password: {account.password}",
            markup=False,
        )
    if then_serve:
        _run_server(host, port, 1)
