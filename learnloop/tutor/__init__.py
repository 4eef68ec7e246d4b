"""The tutor's chat models: llama.cpp on this machine, an OpenAI-compatible server, or a fake.

Everything talks to a ``ChatModel`` (``stream`` and ``complete``); ``make_chat_model`` builds
the one the settings ask for. Importing this package imports neither llama.cpp nor torch:
the local model is imported, assembled and loaded on its first reply (or ``load()``).
See docs/tutor-models.md.
"""

from __future__ import annotations

from learnloop.tutor.chat import ChatMessage, ChatModel
from learnloop.tutor.fake import FakeChat
from learnloop.tutor.llamacpp import LlamaCppChat
from learnloop.tutor.models import BACKENDS, make_chat_model
from learnloop.tutor.openai_compat import OpenAIChat
from learnloop.tutor.speed import Speed, measure
from learnloop.tutor.weights import LOCAL_MODELS, LocalModel, ensure_model

__all__ = [
    "BACKENDS",
    "LOCAL_MODELS",
    "ChatMessage",
    "ChatModel",
    "FakeChat",
    "LlamaCppChat",
    "LocalModel",
    "OpenAIChat",
    "Speed",
    "ensure_model",
    "make_chat_model",
    "measure",
]
