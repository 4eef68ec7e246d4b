"""How fast a chat model answers: load time, time to first token, tokens per second.

What a student feels is the wait for the first word (prompt processing) and then the
reading pace (generation speed), so those are measured apart. Used by ``learnloop llm chat
--stats`` and by benchmarks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from learnloop.tutor.chat import ChatMessage, ChatModel


@dataclass(frozen=True)
class Speed:
    load_s: float
    """``model.load()``: assembling and loading weights; near 0 once loaded."""
    first_token_s: float
    """From sending the request to the first piece of the reply (prompt processing)."""
    total_s: float
    """From sending the request to the end of the reply."""
    tokens: int
    """Pieces streamed; llama.cpp and OpenAI-compatible servers send one per token."""
    reply: str

    @property
    def tokens_per_s(self) -> float:
        """Generation speed after the first token, the pace a reader sees; 0 for a reply
        too short to tell (a single token)."""
        if self.tokens > 1 and self.total_s > self.first_token_s:
            return (self.tokens - 1) / (self.total_s - self.first_token_s)
        return 0.0

    def __str__(self) -> str:
        rate = f"{self.tokens_per_s:.1f} tokens/s" if self.tokens > 1 else "too short to rate"
        return (
            f"load {self.load_s:.2f} s, first token after {self.first_token_s:.2f} s, "
            f"{self.tokens} tokens in {self.total_s:.2f} s ({rate})"
        )


def measure(
    model: ChatModel,
    messages: Sequence[ChatMessage] | str,
    *,
    max_tokens: int = 128,
    temperature: float = 0.0,
    on_piece: Callable[[str], object] | None = None,
) -> Speed:
    """Generate one reply to ``messages`` (a string is one user message) and time it;
    ``on_piece`` sees each piece as it arrives, e.g. to print it."""
    if isinstance(messages, str):
        messages = [ChatMessage("user", messages)]
    start = time.perf_counter()
    model.load()
    load_s = time.perf_counter() - start
    pieces: list[str] = []
    first = None
    start = time.perf_counter()
    for piece in model.stream(messages, max_tokens=max_tokens, temperature=temperature):
        if first is None:
            first = time.perf_counter() - start
        pieces.append(piece)
        if on_piece is not None:
            on_piece(piece)
    total = time.perf_counter() - start
    return Speed(
        load_s=load_s,
        first_token_s=total if first is None else first,
        total_s=total,
        tokens=len(pieces),
        reply="".join(pieces),
    )
