"""A deterministic chat model: queued replies, streamed in word-sized pieces.

Tests queue the replies they expect the tutor to receive and read back what the tutor sent
(``calls``); ``LEARNLOOP_CHAT_BACKEND=fake`` uses it to demo the UI without a model.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterable, Iterator

from learnloop.tutor.chat import ChatMessage, ChatModel

_PIECE = re.compile(r"\s*\S+|\s+")


class FakeChat(ChatModel):
    """Answers with the queued replies in order, then with ``default``, then with an echo
    that says it comes from the fake.

    Honours ``stop`` (the reply ends before the first stop string) and ``max_tokens`` (at most
    that many pieces), as a real model would.
    """

    name = "fake"

    def __init__(self, replies: Iterable[str] = (), *, default: str | None = None) -> None:
        self.default = default
        self.calls: list[list[ChatMessage]] = []
        self._replies: deque[str] = deque(replies)
        self._lock = threading.Lock()

    def queue(self, *replies: str) -> FakeChat:
        """Add replies to give, in order, to the next calls."""
        with self._lock:
            self._replies.extend(replies)
        return self

    @property
    def pending(self) -> int:
        """How many queued replies no call has taken yet."""
        return len(self._replies)

    def describe(self) -> str:
        return "fake: canned replies, no model"

    def _stream(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int,
        temperature: float,
        stop: list[str],
    ) -> Iterator[str]:
        with self._lock:
            self.calls.append(list(messages))
            reply = self._replies.popleft() if self._replies else self._fallback(messages)
        for s in stop:
            reply = reply.split(s, 1)[0]
        return iter(_PIECE.findall(reply)[:max_tokens])

    def _fallback(self, messages: list[ChatMessage]) -> str:
        if self.default is not None:
            return self.default
        said = next((m.content for m in reversed(messages) if m.role == "user"), "")
        return f"[fake chat model] You said: {said}"
