"""A turn with the tutor, as a student would see it: grounded and cited, graduated hints,
answers withheld until an item is finished, arithmetic corrected, generation off, ratings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from sqlalchemy import select

from learnloop.errors import ChatModelUnavailable, InvalidInputError, NotFoundError
from learnloop.services import tutor as tutor_service
from learnloop.services.learning import submit_attempt
from learnloop.services.tutor import Tutor, TutorRequest
from learnloop.storage.tables import ConceptRow, MasteryRow, MessageRow
from learnloop.tutor.chat import ChatMessage, ChatModel
from learnloop.tutor.fake import FakeChat
from tests.tutor.demo import DemoCourses, open_demo_courses


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoCourses]:
    yield from open_demo_courses(tmp_path_factory.mktemp("tutor"))


def system_prompt(fake: FakeChat, call: int = -1) -> str:
    return fake.calls[call][0].content


def test_a_question_gets_a_grounded_cited_reply_that_is_stored(demo: DemoCourses):
    fake = FakeChat(["To add fractions the parts must be the same size [1]."])
    tutor = Tutor(demo.backend, fake)
    events = list(
        tutor.stream(
            demo.students["sam"],
            TutorRequest("fractions", "Why do I need a common denominator to add fractions?"),
        )
    )
    kinds = [e.kind for e in events]
    assert kinds[0] == "meta" and kinds[-1] == "done" and "token" in kinds
    meta, done = events[0].data, events[-1].data
    assert meta["language"] == "en" and meta["generation"] and meta["passages"]
    assert done["content"] == "To add fractions the parts must be the same size [1]."
    [cited] = done["citations"]
    assert cited["cited"] and cited["n"] == 1 and cited["material_id"] and cited["anchor"]
    prompt = system_prompt(fake)
    assert "fractions" in prompt and '<passage n="1"' in prompt
    assert fake.calls[-1][-1].content.startswith("<student>Why do I need")
    view = tutor_service.conversation(demo.backend, demo.students["sam"], done["conversation_id"])
    assert [(m.role, m.content[:8]) for m in view.messages] == [
        ("user", "Why do I"),
        ("assistant", "To add f"),
    ]
    assert view.messages[1].citations[0]["material_id"] == cited["material_id"]


def test_a_chinese_question_is_answered_in_chinese_from_chinese_passages(demo: DemoCourses):
    fake = FakeChat(["通分以后分数单位相同，才能相加。[1]"])
    reply = Tutor(demo.backend, fake).ask(
        demo.students["ming"], TutorRequest("fractions", "为什么分数相加之前要先通分？")
    )
    assert reply.meta["language"] == "zh"
    assert "简体中文" in system_prompt(fake)
    assert reply.citations[0]["language"] == "zh"


def test_hints_come_from_the_course_first_then_the_model_then_stop(demo: DemoCourses):
    fake = FakeChat(default="Look at the denominators: what number do both divide?")
    tutor = Tutor(demo.backend, fake)
    student = demo.students["ada"]
    first = tutor.ask(student, TutorRequest("fractions", mode="hint", item_key="unlike-1"))
    assert first.content.startswith("Halves and thirds are different sized parts")
    assert fake.calls == []  # authored hints need no model
    ask = TutorRequest(
        "fractions", mode="hint", item_key="unlike-1", conversation_id=first.conversation_id
    )
    second = tutor.ask(student, ask)
    assert second.content.startswith("Rewrite each fraction in sixths")
    generated = [tutor.ask(student, ask) for _ in range(3)]
    assert all(g.content.startswith("Look at the denominators") for g in generated)
    assert len(fake.calls) == 3
    prompt = system_prompt(fake)
    assert "hint 5" in prompt and "Rewrite each fraction in sixths" in prompt  # seen hints
    last = tutor.ask(student, ask)
    assert last.content.startswith("That was the last hint")
    assert len(fake.calls) == 3


def test_the_answer_of_an_unfinished_item_is_withheld_until_it_is_solved(demo: DemoCourses):
    leak = "Let's add: 1/2 + 1/3 = 3/6 + 2/6 = 5/6. So the answer is 5/6."
    fake = FakeChat([leak, leak])
    tutor = Tutor(demo.backend, fake)
    student = demo.students["sam"]
    ask = TutorRequest("fractions", "Can you just solve it?", item_key="unlike-1")
    reply = tutor.ask(student, ask)
    assert "5/6" not in reply.content and "5 / 6" not in reply.content
    assert [n["kind"] for n in reply.notices] == ["answer_withheld"]
    assert "have not finished" in reply.content
    prompt = "\n".join(m.content for m in fake.calls[-1])
    assert "still working on it" in prompt
    # neither the answer key nor the page that works this very sum gives it away
    assert "5/6" not in prompt
    assert "3/6 + 2/6 = […]" in prompt
    submit_attempt(
        demo.backend, user=student, course_key="fractions", item_key="unlike-1", response="5/6"
    )
    after = tutor.ask(student, ask)
    assert after.content == leak and after.notices == []
    assert "(the student is finished)" in system_prompt(fake)
    assert "3/6 + 2/6 = 5/6" in system_prompt(fake)


def test_a_copied_exercise_is_guarded_without_naming_the_item(demo: DemoCourses):
    fake = FakeChat(["3/4 − 1/6 = 9/12 − 2/12 = 7/12"])
    reply = Tutor(demo.backend, fake).ask(
        demo.students["ada"], TutorRequest("fractions", "What is 3/4 − 1/6?")
    )
    assert "7/12" not in reply.content
    assert reply.meta["exercise"] == "unlike-2"


def test_wrong_arithmetic_in_a_reply_is_corrected(demo: DemoCourses):
    fake = FakeChat(["Add the tops and the bottoms: 1/2 + 1/3 = 2/5."])
    reply = Tutor(demo.backend, fake).ask(
        demo.students["ada"], TutorRequest("fractions", "How do I add fractions?")
    )
    assert [n["kind"] for n in reply.notices] == ["arithmetic_corrected"]
    assert reply.content.endswith("Check: 1/2 + 1/3 = 2/5 is not right; 1/2 + 1/3 is 5/6.")


def test_weak_prerequisites_and_recent_mistakes_shape_the_prompt(demo: DemoCourses):
    student = demo.students["ada"]
    submit_attempt(
        demo.backend, user=student, course_key="fractions", item_key="unlike-2", response="b"
    )
    with demo.backend.transaction() as s:
        concept = s.scalar(select(ConceptRow).where(ConceptRow.key == "common-denominators"))
        assert concept is not None
        row = s.get(MasteryRow, (student.id, concept.id))
        if row is None:
            s.add(MasteryRow(user_id=student.id, concept_id=concept.id, p_mastery=0.2, attempts=3))
        else:
            row.p_mastery, row.attempts = 0.2, 3
    fake = FakeChat(["..."])
    Tutor(demo.backend, fake).ask(
        student, TutorRequest("fractions", mode="explain", concept_key="add-subtract-unlike")
    )
    prompt = system_prompt(fake)
    assert "0.20 (weak), a prerequisite of" in prompt
    assert "Weak prerequisites come first: briefly explain Common denominators" in prompt
    # a prerequisite never practised is not called weak: nothing is known about it yet
    assert "Adding and subtracting with like denominators: not practised yet" in prompt
    assert "their answer: b" in prompt


class Broken(ChatModel):
    name = "broken"

    def _stream(
        self, messages: list[ChatMessage], *, max_tokens: int, temperature: float, stop: list[str]
    ) -> Iterator[str]:
        raise ChatModelUnavailable("the weights file is damaged; run learnloop llm fetch")
        yield ""


@pytest.mark.parametrize("model", [None, Broken()], ids=["off", "broken"])
def test_without_a_working_model_the_best_passages_answer(
    demo: DemoCourses, model: ChatModel | None
):
    tutor = Tutor(demo.backend, model, off_reason="generation is off (chat backend: off)")
    reply = tutor.ask(
        demo.students["sam"], TutorRequest("photosynthesis", "What does chlorophyll do?")
    )
    kinds = [n["kind"] for n in reply.notices]
    assert kinds == (["generation_off"] if model is None else ["generation_failed"])
    assert "[1]" in reply.content and "chlorophyll" in reply.content.lower()
    assert reply.citations and reply.citations[0]["material_id"]


def test_ratings_change_how_the_tutor_answers_that_student(demo: DemoCourses):
    fake = FakeChat(default="A long reply.")
    tutor = Tutor(demo.backend, fake)
    student = demo.students["ming"]
    reply = tutor.ask(student, TutorRequest("photosynthesis", "什么是光合作用？"))
    style = tutor_service.rate(
        demo.backend, student, message_id=reply.message_id, helpful=False, reason="too_long"
    )
    assert style.length == "short"
    tutor.ask(student, TutorRequest("photosynthesis", "叶绿体在哪里？"))
    assert "at most three sentences" in system_prompt(fake)
    view = tutor_service.conversation(demo.backend, student, reply.conversation_id)
    assert view.messages[1].rating == {"helpful": False, "reason": "too_long"}
    others = tutor_service.student_style(demo.backend, demo.students["sam"])
    assert others.length == "normal"


def test_bad_requests_say_what_to_fix(demo: DemoCourses):
    tutor = Tutor(demo.backend, FakeChat())
    sam, ada = demo.students["sam"], demo.students["ada"]
    cases: Sequence[tuple[TutorRequest, type[Exception], str]] = [
        (TutorRequest("fractions", ""), InvalidInputError, "type a question"),
        (TutorRequest("fractions", "x", mode="joke"), InvalidInputError, "not one of"),
        (TutorRequest("fractions", mode="hint"), InvalidInputError, "pass item_id"),
        (TutorRequest("nope", "hi"), NotFoundError, "no course"),
        (TutorRequest("fractions", "hi", item_key="nope"), NotFoundError, "no item"),
        (TutorRequest("fractions", "x" * 4001), InvalidInputError, "at most 4,000"),
    ]
    for request, error, text in cases:
        with pytest.raises(error, match=text):
            tutor.ask(sam, request)
    mine = tutor.ask(sam, TutorRequest("fractions", "What is a fraction?"))
    with pytest.raises(NotFoundError):
        tutor.ask(ada, TutorRequest("fractions", "hi", conversation_id=mine.conversation_id))
    with pytest.raises(NotFoundError):
        tutor_service.rate(demo.backend, ada, message_id=mine.message_id, helpful=True)
    with pytest.raises(InvalidInputError, match="rate the tutor's replies"):
        tutor_service.rate(demo.backend, sam, message_id=mine.message_id - 1, helpful=True)
    with pytest.raises(InvalidInputError, match="not one of"):
        tutor_service.rate(
            demo.backend, sam, message_id=mine.message_id, helpful=False, reason="meh"
        )


def test_a_reply_cut_short_by_the_client_is_kept(demo: DemoCourses):
    fake = FakeChat(["One two three four five six seven eight nine ten."])
    events = Tutor(demo.backend, fake).stream(
        demo.students["sam"], TutorRequest("fractions", "Count for me")
    )
    meta = next(events)
    next(events)  # the first token, then the client goes away
    events.close()
    with demo.backend.transaction() as s:
        stored = s.scalars(
            select(MessageRow.content).where(
                MessageRow.conversation_id == meta.data["conversation_id"],
                MessageRow.role == "assistant",
            )
        ).all()
    assert len(stored) == 1 and stored[0].startswith("One")
