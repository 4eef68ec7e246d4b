"""The tutor over HTTP: a streamed, cited reply; JSON for clients that do not stream;
conversations and ratings; errors in the one JSON shape, also for a streaming request."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from learnloop.services.tutor import Tutor
from learnloop.tutor.fake import FakeChat
from tests.web.conftest import School

SSE = {"Accept": "text/event-stream"}


def use_fake(school: School, *replies: str) -> FakeChat:
    fake = FakeChat(replies, default="A half is one of two equal parts [1].")
    school.app_client.app.state.tutor = Tutor(school.backend, fake)  # type: ignore[attr-defined]
    return fake


def events(text: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_a_question_streams_a_cited_reply(school: School) -> None:
    use_fake(school, "A half is one of two equal parts [1].")
    client = school.client("stud_a")
    body = {"course_id": "tiny", "message": "What is a half?"}
    with client.stream("POST", "/api/v1/tutor/messages", json=body, headers=SSE) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        stream = events(r.read().decode())
    kinds = [k for k, _ in stream]
    assert kinds[0] == "meta" and kinds[-1] == "done" and kinds.count("token") > 3
    text = "".join(d["text"] for k, d in stream if k == "token")
    done = stream[-1][1]
    assert text == done["content"] == "A half is one of two equal parts [1]."
    assert done["citations"][0]["material_id"] == "halves" and done["citations"][0]["cited"]
    conversation = client.get(f"/api/v1/tutor/conversations/{done['conversation_id']}").json()
    assert [m["role"] for m in conversation["messages"]] == ["user", "assistant"]
    assert conversation["course_id"] == "tiny"


def test_without_streaming_the_reply_comes_whole_and_can_be_rated(school: School) -> None:
    use_fake(school)
    client = school.client("stud_a")
    r = client.post("/api/v1/tutor/messages", json={"course_id": "tiny", "message": "一半是什么？"})
    assert r.status_code == 200, r.text
    reply = r.json()
    assert reply["meta"]["language"] == "zh" and reply["citations"]
    rated = client.post(
        f"/api/v1/tutor/messages/{reply['message_id']}/rating",
        json={"helpful": False, "reason": "too_long"},
    )
    assert rated.status_code == 200 and rated.json()["length"] == "short"
    mine = client.get("/api/v1/tutor/conversations").json()
    assert mine[0]["messages"][1]["rating"] == {"helpful": False, "reason": "too_long"}


def test_a_hint_is_the_courses_own_first(school: School) -> None:
    fake = use_fake(school)
    r = school.client("stud_a").post(
        "/api/v1/tutor/messages", json={"course_id": "tiny", "mode": "hint", "item_id": "q1"}
    )
    assert r.json()["content"] == "Split it in two." and fake.calls == []


def test_errors_keep_the_one_shape_even_when_streaming_was_asked(school: School) -> None:
    use_fake(school)
    client = school.client("stud_a")
    for body, status in [
        ({"course_id": "nope", "message": "hi"}, 404),
        ({"course_id": "tiny", "message": ""}, 422),
        ({"course_id": "tiny", "message": "hi", "mode": "joke"}, 422),
        ({"course_id": "other", "message": "hi"}, 404),  # not this student's course
    ]:
        r = client.post("/api/v1/tutor/messages", json=body, headers=SSE)
        assert r.status_code == status, r.text
        assert set(r.json()["error"]) >= {"code", "message"}
    anonymous = TestClient(school.app_client.app)
    r = anonymous.post("/api/v1/tutor/messages", json={"course_id": "tiny", "message": "hi"})
    assert r.status_code == 401


def test_students_cannot_read_or_rate_each_others_conversations(school: School) -> None:
    use_fake(school)
    reply = (
        school.client("stud_a")
        .post("/api/v1/tutor/messages", json={"course_id": "tiny", "message": "What is a half?"})
        .json()
    )
    other = school.client("stud_a2")
    assert other.get(f"/api/v1/tutor/conversations/{reply['conversation_id']}").status_code == 404
    r = other.post(f"/api/v1/tutor/messages/{reply['message_id']}/rating", json={"helpful": True})
    assert r.status_code == 404
    assert other.get("/api/v1/tutor/conversations").json() == []
