"""The fake chat model the tests and the ``fake`` backend use, and the checks every model
shares through ``ChatModel.stream``."""

from __future__ import annotations

import threading

import pytest

from learnloop.errors import InvalidInputError
from learnloop.tutor import ChatMessage, FakeChat

ASK = [ChatMessage("system", "You are a tutor."), ChatMessage("user", "Why is 1/2 = 2/4?")]


def test_queued_replies_come_in_order_then_the_default() -> None:
    chat = FakeChat(["First."], default="Fallback.").queue("Second.", "Third.")
    assert [chat.complete(ASK) for _ in range(5)] == [
        "First.",
        "Second.",
        "Third.",
        "Fallback.",
        "Fallback.",
    ]
    assert chat.pending == 0


def test_without_a_default_it_echoes_and_says_it_is_the_fake() -> None:
    reply = FakeChat().complete(ASK)
    assert reply == "[fake chat model] You said: Why is 1/2 = 2/4?"


def test_streams_in_word_sized_pieces_that_join_to_the_reply() -> None:
    text = "Multiply  top and bottom\nby 2."
    pieces = list(FakeChat([text]).stream(ASK))
    assert len(pieces) == 6
    assert "".join(pieces) == text


def test_records_every_calls_messages() -> None:
    chat = FakeChat()
    chat.complete(ASK)
    follow_up = [*ASK, ChatMessage("assistant", "Because..."), ChatMessage("user", "And 3/6?")]
    chat.complete(follow_up)
    assert chat.calls == [ASK, follow_up]


def test_honours_stop_and_max_tokens() -> None:
    chat = FakeChat(["one two three four", "Answer: 5\nStudent: thanks"])
    assert chat.complete(ASK, max_tokens=2) == "one two"
    assert chat.complete(ASK, stop=["\nStudent:"]) == "Answer: 5"


def test_bad_requests_are_refused_before_anything_is_generated() -> None:
    chat = FakeChat(["unused"])
    with pytest.raises(InvalidInputError, match="at least one message"):
        chat.stream([])
    with pytest.raises(InvalidInputError, match="max_tokens"):
        chat.stream(ASK, max_tokens=0)
    with pytest.raises(InvalidInputError, match="temperature"):
        chat.stream(ASK, temperature=3)
    with pytest.raises(InvalidInputError, match="ChatMessage"):
        chat.stream([{"role": "user", "content": "hi"}])  # type: ignore[list-item]
    with pytest.raises(InvalidInputError, match="role 'tool'"):
        ChatMessage("tool", "x")  # type: ignore[arg-type]
    assert chat.calls == [] and chat.pending == 1


def test_threads_each_get_one_reply() -> None:
    replies = [f"reply {i}" for i in range(50)]
    chat = FakeChat(replies)
    got: list[str] = []
    lock = threading.Lock()

    def ask() -> None:
        for _ in range(10):
            reply = chat.complete(ASK)
            with lock:
                got.append(reply)

    threads = [threading.Thread(target=ask) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == sorted(replies)
    assert len(chat.calls) == 50
