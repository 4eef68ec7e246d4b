"""What a teacher sees of a class: the mastery map, a student's history, item statistics and
the tutor questions by concept, on real databases, with answers sent through the answer loop
and questions through the tutor."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from scipy.stats import pointbiserialr
from sqlalchemy import select

from learnloop.domain import Verdict
from learnloop.errors import NotFoundError, PermissionDeniedError
from learnloop.services import Backend, analytics, classes, learning, review, users
from learnloop.services.progress import prior_mastery
from learnloop.services.tutor import Tutor, TutorRequest
from learnloop.storage.tables import ConceptRow, User
from learnloop.tutor.fake import FakeChat
from tests.web.conftest import PASSWORD, populate_school


class Class:
    """The two-class school of ``tests/web/conftest.py``, acting through the services."""

    def __init__(self, backend: Backend, root: Path) -> None:
        self.backend = backend
        self.ids = populate_school(backend, root)

    def user(self, name: str) -> User:
        with self.backend.transaction() as s:
            user = s.scalars(select(User).where(User.username == name)).one()
            s.expunge(user)
        return user

    def answer(self, name: str, item: str, response: str | list[str], course: str = "tiny") -> None:
        learning.submit_attempt(
            self.backend, user=self.user(name), course_key=course, item_key=item, response=response
        )

    def add_student(self, name: str, klass: str = "Class A") -> None:
        with self.backend.transaction() as s:
            users.create_user(s, username=name, password=PASSWORD)
            classes.enrol(s, class_name=klass, username=name)

    def read(self, name: str, what, **kwargs):  # type: ignore[no-untyped-def]
        with self.backend.transaction() as s:
            return what(s, self.user(name), **kwargs)


@pytest.fixture
def school(backend: Backend, tmp_path: Path) -> Class:
    return Class(backend, tmp_path)


@pytest.fixture
def practised(school: Class) -> Class:
    """stud_a gets q1 wrong twice (the same slip, spelt twice), then right, and q2 right;
    stud_a2 gets q1 right and picks the wrong choice of q2; class B's student and a teacher
    answer too."""
    school.answer("stud_a", "q1", "0.4")
    school.answer("stud_a", "q1", " 0.4 ")
    school.answer("stud_a", "q1", "1/2")
    school.answer("stud_a", "q2", ["a"])
    school.answer("stud_a2", "q1", "1/2")
    school.answer("stud_a2", "q2", ["b"])
    school.answer("stud_b", "q1", "7", course="other")
    school.answer("teach_a", "q1", "99")
    return school


def by_item(stats: analytics.ItemStatistics) -> dict[str, analytics.ItemStats]:
    return {i.item_id: i for i in stats.items}


def test_a_repeated_wrong_answer_is_the_most_common_one(practised: Class) -> None:
    stats = by_item(practised.read("teach_a", analytics.item_statistics, course_key="tiny"))
    q1 = stats["q1"]
    assert (q1.attempts, q1.students, q1.correct) == (4, 2, 2)  # the teacher's try not counted
    assert q1.share_correct == 0.5 and q1.difficulty == 0.5
    assert q1.authored_difficulty == 0.5
    assert q1.first_try_correct == 0.5
    assert [(w.answer, w.count, w.students) for w in q1.wrong_answers] == [("0.4", 2, 1)]
    q2 = stats["q2"]
    assert [(w.answer, w.choice_text) for w in q2.wrong_answers] == [("b", {"*": "0.4"})]
    assert stats["q3"].attempts == 0 and stats["q3"].share_correct is None


def test_an_override_changes_share_correct(practised: Class) -> None:
    practised.answer("stud_a", "q3", "both parts are doubled")
    practised.answer("stud_a2", "q3", "because it is")

    def q3() -> analytics.ItemStats:
        stats = practised.read("teach_a", analytics.item_statistics, course_key="tiny")
        return by_item(stats)["q3"]

    waiting = q3()
    assert (waiting.attempts, waiting.pending_review, waiting.graded) == (2, 2, 0)
    assert waiting.share_correct is None and waiting.wrong_answers == []
    teacher = practised.user("teach_a")
    queue = practised.read("teach_a", review.list_reviews)
    first = {r.student_username: r.id for r in queue}
    review.decide_review(
        practised.backend,
        teacher,
        first["stud_a"],
        review.Decision(action="override", verdict=Verdict.CORRECT),
    )
    assert (q3().share_correct, q3().pending_review) == (1.0, 1)
    review.decide_review(
        practised.backend,
        teacher,
        first["stud_a2"],
        review.Decision(action="override", verdict=Verdict.INCORRECT),
    )
    decided = q3()
    assert (decided.share_correct, decided.pending_review, decided.mean_score) == (0.5, 0, 0.5)
    assert [w.answer for w in decided.wrong_answers] == ["because it is"]

    history = practised.read(
        "teach_a", analytics.student_history, student_id=practised.ids["stud_a"]
    )
    last = history.courses[0].attempts[-1]
    assert last.item_id == "q3" and last.verdict == "correct" and last.reviewed
    assert [(g.grader, g.provisional, g.graded_by) for g in last.grades] == [
        ("pending.teacher", True, None),
        ("teacher", False, "teach_a"),
    ]


def test_a_teacher_sees_only_the_students_of_their_classes(practised: Class) -> None:
    with pytest.raises(PermissionDeniedError):  # teach_b's classes do not have course tiny
        practised.read("teach_b", analytics.item_statistics, course_key="tiny")
    with pytest.raises(NotFoundError):
        practised.read(
            "teach_b",
            analytics.item_statistics,
            course_key="other",
            class_id=practised.ids["Class A"],
        )
    with pytest.raises(NotFoundError):
        practised.read("teach_b", analytics.student_history, student_id=practised.ids["stud_a"])
    with pytest.raises(NotFoundError):
        practised.read(
            "teach_b",
            analytics.mastery_matrix,
            class_id=practised.ids["Class A"],
            course_key="tiny",
        )
    with pytest.raises(PermissionDeniedError):  # a student may not read the class's map
        practised.read(
            "stud_a", analytics.mastery_matrix, class_id=practised.ids["Class A"], course_key="tiny"
        )
    with pytest.raises(PermissionDeniedError):
        practised.read("stud_a", analytics.item_statistics, course_key="tiny")
    other = by_item(practised.read("teach_b", analytics.item_statistics, course_key="other"))
    assert other["q1"].attempts == 1 and other["q1"].wrong_answers[0].answer == "7"
    everyone = by_item(practised.read("admin", analytics.item_statistics, course_key="tiny"))
    assert everyone["q1"].attempts == 4


def test_the_mastery_map_has_the_prior_where_a_student_has_not_practised(
    practised: Class,
) -> None:
    matrix = practised.read(
        "teach_a", analytics.mastery_matrix, class_id=practised.ids["Class A"], course_key="tiny"
    )
    assert [c.concept_id for c in matrix.concepts] == ["halves", "quarters"]
    assert [st.username for st in matrix.students] == ["stud_a", "stud_a2"]
    assert [st.attempts for st in matrix.students] == [4, 2]
    assert matrix.attempts == [[3, 1], [1, 1]]
    assert all(all(row) for row in matrix.seen)
    practised.add_student("newcomer")
    matrix = practised.read(
        "teach_a", analytics.mastery_matrix, class_id=practised.ids["Class A"], course_key="tiny"
    )
    with practised.backend.transaction() as s:
        ids = dict(s.execute(select(ConceptRow.key, ConceptRow.id)).all())
        priors = [round(prior_mastery(s, ids[k]), 4) for k in ("halves", "quarters")]
    newcomer = [st.username for st in matrix.students].index("newcomer")
    assert matrix.seen[newcomer] == [False, False]
    assert matrix.p_mastery[newcomer] == priors
    column = [row[0] for row in matrix.p_mastery]
    assert matrix.concept_mean[0] == pytest.approx(sum(column) / len(column), abs=1e-4)


def test_a_students_history_is_in_time_order_with_mastery_now(practised: Class) -> None:
    history = practised.read(
        "teach_a", analytics.student_history, student_id=practised.ids["stud_a"]
    )
    assert [c.course_id for c in history.courses] == ["tiny"]
    tiny = history.courses[0]
    assert [(a.item_id, a.response, a.verdict) for a in tiny.attempts] == [
        ("q1", "0.4", "incorrect"),
        ("q1", " 0.4 ", "incorrect"),
        ("q1", "1/2", "correct"),
        ("q2", ["a"], "correct"),
    ]
    assert tiny.attempts[0].concepts == ["halves"]
    assert tiny.total_attempts == 4
    assert {m.concept_id: m.attempts for m in tiny.mastery} == {"halves": 3, "quarters": 1}
    latest = practised.read(
        "stud_a", analytics.student_history, student_id=practised.ids["stud_a"], limit=2
    )
    assert [a.response for a in latest.courses[0].attempts] == ["1/2", ["a"]]
    with pytest.raises(NotFoundError):  # classmates do not read each other's history
        practised.read("stud_a2", analytics.student_history, student_id=practised.ids["stud_a"])


def test_discrimination_is_positive_where_strong_students_get_the_item_right(
    school: Class,
) -> None:
    for name in ("s1", "s2", "s3", "s4"):
        school.add_student(name)
    for name, q1, q2 in [
        ("s1", "1/2", "a"),
        ("s2", "1/2", "a"),
        ("s3", "3", "b"),
        ("s4", "3", "a"),
    ]:
        school.answer(name, "q1", q1)
        school.answer(name, "q2", [q2])
    school.answer("s1", "q3", "doubled")  # pending: no first score, no effect
    stats = by_item(school.read("teach_a", analytics.item_statistics, course_key="tiny"))
    expected = pointbiserialr([1, 1, 0, 0], [1, 1, 0, 1]).statistic
    assert stats["q1"].discrimination == pytest.approx(expected, abs=1e-4)
    assert stats["q1"].discrimination > 0.5
    assert stats["q3"].discrimination is None


def test_pearson_matches_scipy_and_refuses_a_constant() -> None:
    rng = random.Random(3)
    xs = [float(rng.random() < 0.6) for _ in range(40)]
    ys = [rng.random() + x for x in xs]
    assert analytics.pearson(xs, ys) == pytest.approx(pointbiserialr(xs, ys).statistic)
    assert analytics.pearson([1.0, 1.0, 1.0], [0.1, 0.5, 0.9]) is None


def test_answers_are_normalised_before_they_are_counted() -> None:
    assert analytics.normalise_answer("  Both  DOUBLED. ") == "both doubled"
    assert analytics.normalise_answer("０.４") == "0.4"
    assert analytics.normalise_answer(["b", "A"]) == "a, b"


def test_tutor_questions_are_grouped_by_concept(school: Class) -> None:
    tutor = Tutor(school.backend, FakeChat(default="A half is one of two equal parts [1]."))

    def ask(name: str, message: str, course: str = "tiny", item: str | None = None) -> None:
        tutor.ask(
            school.user(name), TutorRequest(course_key=course, message=message, item_key=item)
        )

    ask("stud_a", "How do I pick the quarter?", item="q2")
    ask("stud_a", "And why not 0.4?", item="q2")
    ask("stud_a2", "What is a half?")
    ask("stud_a2", "zzz")
    ask("teach_a", "What is a half, for a teacher?")
    ask("stud_b", "What is a half?", course="other")
    found = school.read("teach_a", analytics.tutor_questions, course_key="tiny", latest=1)
    assert found.total_questions == 4 and found.students == 2
    groups = [(g.concept_id, g.questions, g.students) for g in found.groups]
    assert groups == [("quarters", 2, 1), ("halves", 1, 1), (None, 1, 1)]
    quarters, halves, general = found.groups
    assert quarters.name["en"] == "Quarters"
    assert [q.text for q in quarters.latest] == ["And why not 0.4?"]
    assert quarters.latest[0].grouped_by == "item" and quarters.latest[0].item_id == "q2"
    assert halves.latest[0].grouped_by == "citations"
    assert general.latest[0].text == "zzz" and general.latest[0].grouped_by == "general"
    with pytest.raises(PermissionDeniedError):
        school.read("teach_b", analytics.tutor_questions, course_key="tiny")
    with pytest.raises(PermissionDeniedError):
        school.read("stud_a", analytics.tutor_questions, course_key="tiny")
    other = school.read("teach_b", analytics.tutor_questions, course_key="other")
    assert other.total_questions == 1
    assert school.read("admin", analytics.tutor_questions, course_key="tiny").total_questions == 4
