"""The local chat model: a GGUF file run by llama.cpp (``pip install 'learnloop[llm]'``).

Nothing heavy happens on construction: the first reply (or ``load()``) assembles the weights
if needed and loads them, once, however many threads ask at the same moment. A llama.cpp
context holds one conversation's state, so replies are generated one at a time; a second
caller waits until the first reply is finished or abandoned.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from learnloop.errors import (
    ChatModelUnavailable,
    InvalidInputError,
    MissingExtraError,
)
from learnloop.tutor.chat import ChatMessage, ChatModel
from learnloop.tutor.weights import (
    Progress,
    ensure_model,
    local_model,
    model_path,
    parts_installed,
)


def _cores() -> int:
    """The cores this process may run on (fewer than the machine's in a container)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


class LlamaCppChat(ChatModel):
    """``model`` is a name in ``LOCAL_MODELS``; its file lives in ``data_dir/models``.

    ``n_threads=0`` uses one thread per core. llama.cpp's threads wait for each other at every
    step, so on cores busy with other work fewer threads are faster: on 2 cores shared with
    other jobs, 1 thread generated 15 tokens/s with the 0.5B model where 2 managed 2.
    """

    name = "local"

    def __init__(
        self,
        model: str,
        data_dir: Path,
        *,
        n_ctx: int = 4096,
        n_threads: int = 0,
        progress: Progress | None = None,
    ) -> None:
        self.spec = local_model(model)
        self.data_dir = Path(data_dir)
        self.n_ctx = n_ctx
        self.n_threads = n_threads or _cores()
        self.progress = progress
        self.load_seconds: float | None = None
        """How long loading the weights took (after assembling them), once loaded."""
        self._llama: Any = None
        self._load_lock = threading.Lock()
        self._generate_lock = threading.Lock()

    @property
    def path(self) -> Path:
        return model_path(self.spec.name, self.data_dir)

    def describe(self) -> str:
        return f"local llama.cpp: {self.spec.title}"

    def unavailable_reason(self) -> str | None:
        if importlib.util.find_spec("llama_cpp") is None:
            return (
                "llama-cpp-python is not installed; install it with: pip install 'learnloop[llm]'"
            )
        if not self.path.is_file() and not parts_installed(self.spec.name):
            return (
                f"the packages of the local model {self.spec.name} are not installed; install "
                f"them with: pip install 'learnloop[llm]'"
            )
        return None

    def load(self) -> None:
        self._loaded()

    def _loaded(self) -> Any:
        if self._llama is None:
            with self._load_lock:
                if self._llama is None:
                    self._llama = self._load()
        return self._llama

    def _load(self) -> Any:
        try:
            import llama_cpp
        except ImportError:
            raise MissingExtraError("the local chat model", "llm", "llama-cpp-python") from None
        except (OSError, RuntimeError) as exc:
            raise ChatModelUnavailable(
                f"llama-cpp-python is installed but its native library does not load ({exc}); "
                f"rebuild it with: pip install --force-reinstall --no-cache-dir "
                f"llama-cpp-python==0.3.36"
            ) from None
        path = ensure_model(self.spec.name, self.data_dir, progress=self.progress)
        start = time.perf_counter()
        try:
            llama = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                chat_format=self.spec.chat_format,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError, MemoryError) as exc:
            raise ChatModelUnavailable(
                f"llama.cpp could not load {path} ({type(exc).__name__}: {exc}); delete the "
                f"file to have it assembled again, or lower LEARNLOOP_LLM_CONTEXT "
                f"({self.n_ctx}) if memory is short"
            ) from None
        self.load_seconds = time.perf_counter() - start
        return llama

    def _failed(self, exc: Exception) -> ChatModelUnavailable:
        return ChatModelUnavailable(
            f"llama.cpp failed while generating with {self.path.name} ({type(exc).__name__}: {exc})"
        )

    def _stream(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int,
        temperature: float,
        stop: list[str],
    ) -> Iterator[str]:
        llama = self._loaded()
        with self._generate_lock:
            chunks = llama.create_chat_completion(
                messages=[m.to_dict() for m in messages],
                max_tokens=max_tokens,
                temperature=temperature,
                stop=stop or None,
                stream=True,
            )
            try:
                for chunk in chunks:
                    choices = chunk.get("choices") or [{}]
                    text = choices[0].get("delta", {}).get("content")
                    if text:
                        yield text
            except ValueError as exc:
                if "context window" in str(exc):
                    raise InvalidInputError(
                        f"the conversation does not fit the local model's context window of "
                        f"{self.n_ctx} tokens ({exc}); shorten it or raise LEARNLOOP_LLM_CONTEXT"
                    ) from None
                raise self._failed(exc) from exc
            except RuntimeError as exc:
                raise self._failed(exc) from exc
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
