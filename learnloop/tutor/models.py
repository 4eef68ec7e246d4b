"""Which chat model the tutor uses: ``LEARNLOOP_CHAT_BACKEND`` picks a factory here.

A factory imports its backend's module only when called, so choosing ``fake`` or ``off``
never imports llama.cpp, and nothing is loaded until the first reply.
"""

from __future__ import annotations

from collections.abc import Callable

from learnloop.errors import ConfigurationError
from learnloop.settings import Settings, get_settings
from learnloop.tutor.chat import ChatModel
from learnloop.tutor.fake import FakeChat


def _local(settings: Settings) -> ChatModel:
    from learnloop.tutor.llamacpp import LlamaCppChat

    return LlamaCppChat(
        settings.local_model,
        settings.data_dir,
        n_ctx=settings.llm_context,
        n_threads=settings.llm_threads,
    )


def _openai(settings: Settings) -> ChatModel:
    from learnloop.tutor.openai_compat import OpenAIChat

    if not settings.openai_base_url.startswith(("http://", "https://")):
        raise ConfigurationError(
            "LEARNLOOP_CHAT_BACKEND is openai but LEARNLOOP_OPENAI_BASE_URL "
            f"({settings.openai_base_url!r}) is not an http(s) URL; set it to the server's "
            "API root, e.g. http://127.0.0.1:11434/v1"
        )
    if not settings.openai_model:
        raise ConfigurationError(
            "LEARNLOOP_CHAT_BACKEND is openai but LEARNLOOP_OPENAI_MODEL is empty; set it to "
            "a model name the server at LEARNLOOP_OPENAI_BASE_URL knows"
        )
    return OpenAIChat(settings.openai_base_url, settings.openai_model, settings.openai_api_key)


def _fake(settings: Settings) -> ChatModel:
    return FakeChat()


def _off(settings: Settings) -> None:
    return None


BACKENDS: dict[str, Callable[[Settings], ChatModel | None]] = {
    "local": _local,
    "openai": _openai,
    "fake": _fake,
    "off": _off,
}
"""A factory for each value of ``LEARNLOOP_CHAT_BACKEND``."""


def make_chat_model(settings: Settings | None = None) -> ChatModel | None:
    """The chat model ``settings`` (default: the process's) ask for; None when the backend
    is ``off``. Raises ``ConfigurationError`` for settings that cannot work."""
    settings = settings or get_settings()
    try:
        factory = BACKENDS[settings.chat_backend]
    except KeyError:
        raise ConfigurationError(
            f"unknown LEARNLOOP_CHAT_BACKEND {settings.chat_backend!r}; choose one of "
            f"{', '.join(BACKENDS)}"
        ) from None
    return factory(settings)
