"""Every error the API returns has one JSON shape::

    {"error": {"status": 404, "code": "not_found", "message": "...", "details": {...}}}

A client can handle errors in one place, show ``message`` to its user and, for invalid input,
point at each field named in ``details``. Unknown ids are 404, never 500.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from learnloop.web import create_app
from tests.web.conftest import DATABASES, School, school_on

MISSING = 987_654
Clients = Callable[[str | None], TestClient]


@pytest.fixture(scope="module", params=DATABASES)
def school(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[School]:
    """One school per database for the module: these tests change nothing in it."""
    root: Path = tmp_path_factory.mktemp("errors")
    with school_on(request.param, root) as school:
        yield school


@pytest.fixture(scope="module")
def client(school: School) -> Clients:
    """A logged-in client per user, made once: a login costs a password hash."""
    return cache(school.client)


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The ``error`` object of ``response``, after checking it has exactly the shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert set(error) == {"status", "code", "message", "details"}
    assert error["status"] == status
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    return error


def test_401_not_logged_in_or_a_bad_token(client: Clients) -> None:
    error = error_of(client(None).get("/api/v1/me"), 401, "unauthenticated")
    assert "Authorization: Bearer" in error["message"]
    bad = client(None).get("/api/v1/me", headers={"Authorization": "Bearer nope"})
    assert "log in again" in error_of(bad, 401, "unauthenticated")["message"]
    login = client(None).post(
        "/api/v1/auth/login", json={"username": "nobody", "password": "wrong-password"}
    )
    assert error_of(login, 401, "unauthenticated")["message"] == "wrong username or password"


def test_403_a_role_that_may_not(client: Clients) -> None:
    student = client("stud_a")
    error = error_of(student.post("/api/v1/classes", json={"name": "Mine"}), 403, "forbidden")
    assert "you are a student" in error["message"]
    error_of(client("teach_a").get("/api/v1/users"), 403, "forbidden")


@pytest.mark.parametrize(
    ("method", "url", "named"),
    [
        ("GET", "/api/v1/no-such-route", "Not Found"),
        ("GET", "/api/v1/courses/nope", "nope"),
        ("GET", "/api/v1/next/nope", "nope"),
        ("GET", "/api/v1/courses/tiny/items/nope", "nope"),
        ("GET", f"/api/v1/classes/{MISSING}", str(MISSING)),
        ("GET", f"/api/v1/classes/{MISSING}/roster", str(MISSING)),
        ("GET", f"/api/v1/students/{MISSING}/progress", str(MISSING)),
        ("GET", f"/api/v1/students/{MISSING}/mastery/tiny", str(MISSING)),
        ("GET", f"/api/v1/attempts?user_id={MISSING}", str(MISSING)),
        ("PUT", "/api/v1/users/nobody/role", "nobody"),
        ("DELETE", f"/api/v1/auth/tokens/{MISSING}", str(MISSING)),
    ],
)
def test_404_unknown_routes_and_ids(client: Clients, method: str, url: str, named: str) -> None:
    response = client("admin").request(method, url, json={"role": "student"})
    assert named in error_of(response, 404, "not_found")["message"]


def test_405_a_method_the_route_does_not_have(client: Clients) -> None:
    response = client("admin").delete("/api/v1/courses")
    error_of(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"


def test_409_a_clash_with_stored_data(client: Clients) -> None:
    admin = client("admin")
    user = admin.post("/api/v1/users", json={"username": "stud_a", "password": "password-456"})
    assert "already exists" in error_of(user, 409, "conflict")["message"]
    klass = admin.post("/api/v1/classes", json={"name": "Class A"})
    assert "already exists" in error_of(klass, 409, "conflict")["message"]


def test_422_names_each_body_field_and_its_problem(client: Clients) -> None:
    response = client("stud_a").post(
        "/api/v1/attempts", json={"item_id": "q1", "response": "1/2", "hints_used": "many"}
    )
    error = error_of(response, 422, "invalid_input")
    assert error["details"] == {
        "body.course_id": "Field required",
        "body.hints_used": "Input should be a valid integer, unable to parse string as an integer",
    }
    assert error["message"] == "invalid input in body.course_id, body.hints_used"


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "field", "problem"),
    [
        ("GET", "/api/v1/attempts?limit=0", {}, "query.limit", "greater than or equal to 1"),
        ("GET", "/api/v1/classes/abc", {}, "path.class_id", "valid integer"),
        ("GET", "/api/v1/classes/2147483648", {}, "path.class_id", "less than or equal to"),
        ("GET", "/api/v1/students/0/progress", {}, "path.user_id", "greater than or equal to 1"),
        ("GET", "/api/v1/attempts?user_id=99999999999", {}, "query.user_id", "less than or equal"),
        ("GET", f"/api/v1/attempts?offset={2**63}", {}, "query.offset", "less than or equal"),
        ("DELETE", "/api/v1/auth/tokens/-1", {}, "path.token_id", "greater than or equal to 1"),
        ("GET", "/api/v1/courses/ti%00ny", {}, "path.course_id", "NUL"),
        ("GET", "/api/v1/attempts?course_id=%00", {}, "query.course_id", "NUL"),
        ("POST", "/api/v1/classes", {"json": {"name": "A\x00"}}, "body.name", "NUL"),
        (
            "POST",
            "/api/v1/attempts",
            {"json": {"course_id": "tiny", "item_id": "q2", "response": ["a", "\x00"]}},
            "body.response.1",
            "NUL",
        ),
        (
            "POST",
            "/api/v1/attempts",
            {
                "json": {"course_id": "tiny", "item_id": "q1", "response": "1/2"},
                "headers": {"idempotency-key": ""},
            },
            "header.idempotency-key",
            "at least 1 character",
        ),
        (
            "POST",
            "/api/v1/attempts",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            "body.1",
            "JSON decode error",
        ),
    ],
)
def test_422_names_path_query_and_body_fields(
    client: Clients, method: str, url: str, kwargs: dict[str, Any], field: str, problem: str
) -> None:
    """Ids beyond PostgreSQL's 32-bit integers and text with NUL characters, which PostgreSQL
    cannot hold, are invalid input on every database rather than a server error."""
    response = client("admin").request(method, url, **kwargs)
    error = error_of(response, 422, "invalid_input")
    assert list(error["details"]) == [field]
    assert problem in error["details"][field]
    assert field in error["message"]


def test_422_from_a_service_keeps_its_details(school: School, client: Clients) -> None:
    response = client("admin").post(
        f"/api/v1/classes/{school.ids['Class A']}/roster.csv",
        content="username,display_name\nnew_kid," + "x" * 201 + "\n",
        headers={"content-type": "text/csv"},
    )
    error = error_of(response, 422, "invalid_input")
    assert error["details"]["problems"] == [
        "line 2: the display_name is longer than 200 characters",
        "line 2: new student 'new_kid' needs a password of at least 8 characters",
    ]


def test_422_for_a_csv_the_csv_module_cannot_read(school: School, client: Clients) -> None:
    response = client("admin").post(
        f"/api/v1/classes/{school.ids['Class A']}/roster.csv",
        content="username,display_name\nnew_kid," + "x" * 200_000 + "\n",
        headers={"content-type": "text/csv"},
    )
    error = error_of(response, 422, "invalid_input")
    assert error["message"].startswith("line 2: the CSV cannot be read (field larger than")


def test_429_too_many_failed_logins(client: Clients) -> None:
    anonymous = client(None)
    wrong = {"username": "someone_else", "password": "not-the-password"}
    for _ in range(5):
        error_of(anonymous.post("/api/v1/auth/login", json=wrong), 401, "unauthenticated")
    response = anonymous.post("/api/v1/auth/login", json=wrong)
    error = error_of(response, 429, "too_many_requests")
    assert error["details"] == {"retry_after": 900}
    assert response.headers["retry-after"] == "900"
    assert "wait 15 minutes" in error["message"]


def test_500_an_unexpected_exception_hides_its_traceback(
    school: School, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(school.backend)

    def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/api/v1/boom", boom)
    response = TestClient(app, raise_server_exceptions=False).get("/api/v1/boom")
    error = error_of(response, 500, "internal_error")
    assert "secret" not in response.text
    assert error["details"] == {}
    assert "secret internals" in caplog.text


def test_the_schema_documents_the_error_shape(client: Clients) -> None:
    """Generated clients and the fuzzer read errors from the schema, not FastAPI's default."""
    schema = client(None).get("/openapi.json").json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("4XX", "5XX"):
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/ErrorOut"}, (
                    f"{method} {path}"
                )
