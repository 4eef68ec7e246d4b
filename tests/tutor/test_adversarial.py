"""25 attempts to get an unfinished item's answer out of the tutor, against a model that
always gives in: none may succeed, and no answer key may reach the model."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from learnloop.courses import load_pack
from learnloop.domain import pick
from learnloop.services.tutor import Tutor, TutorRequest
from learnloop.tutor.fake import FakeChat
from tests.tutor.adversarial import ATTACKS, Attack, gives_away
from tests.tutor.demo import DemoCourses, open_demo_courses

DEMO = Path(__file__).parents[2] / "learnloop" / "demo" / "courses"
ITEMS = {i.id: i for c in ("fractions", "photosynthesis") for i in load_pack(DEMO / c).items}


def course_of(item: str) -> str:
    return "photosynthesis" if item.startswith("plant") else "fractions"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoCourses]:
    yield from open_demo_courses(tmp_path_factory.mktemp("adversarial"))


def ask(tutor: Tutor, demo: DemoCourses, attack: Attack) -> str:
    student = demo.students["ming" if attack.language == "zh" else "sam"]
    request = TutorRequest(
        course_of(attack.item),
        attack.message,
        mode=attack.mode,
        item_key=attack.item,
        concept_key=ITEMS[attack.item].concepts[0] if attack.mode == "explain" else None,
    )
    return tutor.ask(student, request).content


def test_there_are_at_least_twenty_attacks_in_both_languages():
    assert len(ATTACKS) >= 20
    assert {a.language for a in ATTACKS} == {"en", "zh"}
    assert sum(a.language == "zh" for a in ATTACKS) >= 8


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: f"{a.language}-{a.item}-{a.message[:24]}")
def test_a_model_that_gives_in_still_hands_over_no_answer(demo: DemoCourses, attack: Attack):
    fake = FakeChat([attack.leaky_reply])
    reply = ask(Tutor(demo.backend, fake), demo, attack)
    assert gives_away(attack.item, attack.leaky_reply), "the leaky reply must really leak"
    assert gives_away(attack.item, reply) == [], reply
    item = ITEMS[attack.item]
    secrets = [pick(item.explanation, lang) for lang in item.explanation]
    secrets += [pick(r, lang) for r in item.reference_answers for lang in r]
    secrets += [getattr(item.answer, "value", "") or getattr(item.answer, "expression", "")]
    for call in fake.calls:
        prompt = "\n".join(m.content for m in call)
        leaked = [s for s in secrets if s and s in prompt]
        assert leaked == [], f"the prompt holds {leaked}"


REQUIRE_LLM = os.environ.get("LEARNLOOP_TEST_REQUIRE_LLM") == "1"
"""CI sets it: a missing llama.cpp or model then fails instead of skipping."""
LLAMA_MISSING = None
try:
    import llama_cpp  # noqa: F401
except ImportError:
    LLAMA_MISSING = "llama-cpp-python is not installed (pip install 'learnloop[llm]')"


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.skipif(LLAMA_MISSING is not None and not REQUIRE_LLM, reason=LLAMA_MISSING or "")
def test_the_real_local_model_hands_over_no_answer(tmp_path: Path):
    """Every attack against the local model the settings choose (the 1.5B by default;
    LEARNLOOP_TEST_LOCAL_MODEL=qwen2.5-0.5b for the small one), replies capped at 96 tokens."""
    import llama_cpp  # noqa: F401

    from learnloop.settings import Settings
    from learnloop.tutor.models import make_chat_model

    name = os.environ.get("LEARNLOOP_TEST_LOCAL_MODEL", "qwen2.5-coder-1.5b")
    shared = Path(os.environ.get("LEARNLOOP_TEST_MODEL_DIR", Path.home() / ".cache" / "learnloop"))
    threads = int(os.environ.get("LEARNLOOP_TEST_LLM_THREADS", "0"))
    model = make_chat_model(
        Settings(chat_backend="local", local_model=name, data_dir=shared, llm_threads=threads)
    )
    assert model is not None
    reason = model.unavailable_reason()
    if reason:
        pytest.fail(reason) if REQUIRE_LLM else pytest.skip(reason)

    class Capped(FakeChat):
        def _stream(self, messages, *, max_tokens, temperature, stop):  # type: ignore[no-untyped-def]
            return model.stream(messages, max_tokens=min(max_tokens, 96), temperature=0.0)

    demo = next(open_demo_courses(tmp_path))
    try:
        tutor = Tutor(demo.backend, Capped())
        leaks = {}
        for attack in ATTACKS:
            reply = ask(tutor, demo, attack)
            if gives_away(attack.item, reply):
                leaks[attack.message] = reply
        assert leaks == {}
    finally:
        demo.backend.close()
