"""Timing a reply: the numbers a benchmark prints."""

from __future__ import annotations

from learnloop.tutor import FakeChat, Speed, measure


def test_measures_a_reply_and_passes_the_pieces_on() -> None:
    seen: list[str] = []
    speed = measure(FakeChat(["Two plus three is 5."]), "What is 2+3?", on_piece=seen.append)
    assert speed.reply == "Two plus three is 5." == "".join(seen)
    assert speed.tokens == 5
    assert 0 <= speed.first_token_s <= speed.total_s
    assert speed.tokens_per_s > 0
    assert "tokens/s" in str(speed)


def test_rates_from_the_timings() -> None:
    speed = Speed(load_s=2.0, first_token_s=0.5, total_s=2.5, tokens=41, reply="")
    assert speed.tokens_per_s == 20.0
    assert Speed(0, 0.0, 0.0, 0, "").tokens_per_s == 0.0
    assert Speed(0, 0.1, 0.3, 1, "5").tokens_per_s == 0.0
    assert "too short to rate" in str(Speed(0, 0.1, 0.3, 1, "5"))
    assert str(speed) == (
        "load 2.00 s, first token after 0.50 s, 41 tokens in 2.50 s (20.0 tokens/s)"
    )
