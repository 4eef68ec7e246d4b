"""Course content is cached between answers, yet a re-imported pack takes effect at once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from learnloop.services import Backend, classes, courses, learning, users
from learnloop.storage.tables import Role, User
from tests.conftest import TINY_PACK, write_pack


def test_a_corrected_answer_key_grades_the_next_answer(backend: Backend, tmp_path: Path) -> None:
    pack = write_pack(tmp_path / "tiny", TINY_PACK)
    with backend.transaction() as s:
        courses.import_path(s, path=pack)
        users.create_user(s, username="sam", password="password-1", role=Role.STUDENT)
        classes.ensure_class(s, name="C")
        classes.enrol(s, class_name="C", username="sam")
        classes.add_course(s, class_name="C", course_id="tiny")
        user = s.scalar(select(User).where(User.username == "sam"))
        assert user is not None
        s.expunge(user)

    def verdict(response: str, item: str = "q1") -> str:
        result = learning.submit_attempt(
            backend, user=user, course_key="tiny", item_key=item, response=response
        )
        return result.grade.verdict

    assert verdict("1/2") == "correct"
    assert verdict("1/3") == "incorrect"

    fixed = dict(TINY_PACK)
    items = TINY_PACK["items/all.yaml"].replace('value: "1/2"', 'value: "1/3"')
    assert items != TINY_PACK["items/all.yaml"]
    fixed["items/all.yaml"] = (
        items.rstrip(" ")
        + """\
        - id: q4
          type: numeric
          prompt: {en: "What is a third of 3?", zh: "3 的三分之一是多少？"}
          concepts: [halves]
          answer: {value: "1"}
        """
    )
    with backend.transaction() as s:
        courses.import_path(s, path=write_pack(tmp_path / "tiny", fixed))

    assert verdict("1/3") == "correct"
    assert verdict("1/2") == "incorrect"
    assert verdict("1", item="q4") == "correct"
