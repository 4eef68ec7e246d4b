"""The seam every chat model plugs into: messages in, text pieces out.

The tutor only ever talks to a ``ChatModel``, so llama.cpp on this machine, a remote
OpenAI-compatible server and the fake used by tests are interchangeable (the shape of
simonw/llm's ``Model``). A subclass implements ``_stream``; the base class checks the request
once, so every backend refuses the same bad input with the same message.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from learnloop.errors import InvalidInputError

Role = Literal["system", "user", "assistant"]
ROLES: tuple[str, ...] = get_args(Role)


@dataclass(frozen=True)
class ChatMessage:
    """One turn of a conversation, in the roles every chat template knows."""

    role: Role
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InvalidInputError(
                f"chat message role {self.role!r} is not one of {', '.join(ROLES)}"
            )
        if not isinstance(self.content, str):
            raise InvalidInputError(
                f"chat message content must be text, not {type(self.content).__name__}"
            )

    def to_dict(self) -> dict[str, str]:
        """The OpenAI wire form, which llama.cpp takes too."""
        return {"role": self.role, "content": self.content}


class ChatModel(ABC):
    """A model that continues a conversation.

    ``stream`` yields the reply in pieces as they are generated (one per token for llama.cpp
    and OpenAI-compatible servers), so a web page can show the first words at once.
    Implementations are safe to share between threads; a backend that can only generate one
    reply at a time makes the others wait.
    """

    name: str = "chat"

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 512,
        temperature: float = 0.2,
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        """The reply to ``messages``, piece by piece; generation stops at ``max_tokens``
        tokens or before the first of the ``stop`` strings."""
        messages = list(messages)
        if not messages:
            raise InvalidInputError("a chat request needs at least one message")
        for message in messages:
            if not isinstance(message, ChatMessage):
                raise InvalidInputError(
                    f"chat messages must be ChatMessage objects, not {type(message).__name__}"
                )
        if max_tokens < 1:
            raise InvalidInputError(f"max_tokens must be at least 1, not {max_tokens}")
        if not 0.0 <= temperature <= 2.0:
            raise InvalidInputError(f"temperature must be between 0 and 2, not {temperature}")
        stop = [s for s in ([stop] if isinstance(stop, str) else stop) if s]
        return self._stream(messages, max_tokens=max_tokens, temperature=temperature, stop=stop)

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 512,
        temperature: float = 0.2,
        stop: Sequence[str] = (),
    ) -> str:
        """The whole reply at once."""
        pieces = self.stream(messages, max_tokens=max_tokens, temperature=temperature, stop=stop)
        return "".join(pieces)

    def load(self) -> None:  # noqa: B027 (a hook: most backends have nothing to load)
        """Do now the slow preparation the first reply would otherwise wait for (assembling
        and loading local weights), e.g. when a server starts. Most backends need none."""

    def unavailable_reason(self) -> str | None:
        """Why this model cannot answer, found cheaply (no weights loaded, no network call),
        or None if it looks ready."""
        return None

    def available(self) -> bool:
        return self.unavailable_reason() is None

    def describe(self) -> str:
        """One line naming the backend and model, for logs and ``learnloop llm chat``."""
        return self.name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"

    @abstractmethod
    def _stream(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int,
        temperature: float,
        stop: list[str],
    ) -> Iterator[str]:
        """Generate for an already checked request."""
