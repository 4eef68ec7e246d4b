"""Fuzz every operation of the API from its own OpenAPI schema, as an admin and as a student.

Whatever the input: no 5xx, the status is documented, a 2xx body matches its declared model,
and every 4xx body is the one error shape with ``error.status`` equal to the HTTP status.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from learnloop.services import Backend, auth
from learnloop.settings import Settings
from learnloop.storage.tables import User
from learnloop.web import create_app
from tests.web.conftest import DATABASES, School, school_on

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("LEARNLOOP_TEST_FUZZ_EXAMPLES", "25"))
"""Generated cases per operation and user, on top of schemathesis' boundary cases; raise it
for a deeper hunt."""


def _schema_app() -> FastAPI:
    """The app as far as its schema goes; the cases are sent to each database's own app."""
    return create_app(Backend.open(Settings(database_url="sqlite://"), check_schema=False))


schema = schemathesis.openapi.from_asgi("/openapi.json", _schema_app())

REAL = {
    "course_id": ["tiny", "other"],
    "item_id": ["q1", "q2", "q3"],
    "class_id": [1, 2],  # Class A, Class B
    "user_id": [1, 4, 6],  # admin, stud_a, stud_b
}
"""Ids the school has: random text almost never names a course, so most generated cases use
real ones and reach the code behind the 404s (grading fuzzed answers, mastery, overviews);
schemathesis' boundary cases still try the unknown ones."""


def _sometimes_real(values: Any) -> st.SearchStrategy[Any]:
    if not isinstance(values, dict) or not REAL.keys() & values.keys():
        return st.just(values)
    real = st.fixed_dictionaries({k: st.sampled_from(REAL[k]) for k in values if k in REAL})
    return st.one_of(real.map(lambda r: {**values, **r}), st.just(values))


@schema.hook
def flatmap_path_parameters(context: schemathesis.HookContext, path_parameters: Any) -> Any:
    return _sometimes_real(path_parameters)


@schema.hook
def flatmap_query(context: schemathesis.HookContext, query: Any) -> Any:
    return _sometimes_real(query)


@schema.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> Any:
    return _sometimes_real(body)


@pytest.fixture(scope="module", params=DATABASES)
def school(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[School]:
    """One school per database for the whole module, unlike the conftest's per-test one."""
    with school_on(request.param, tmp_path_factory.mktemp("fuzz")) as school:
        assert [school.ids[n] for n in ("admin", "stud_a", "stud_b")] == REAL["user_id"]
        assert [school.ids[n] for n in ("Class A", "Class B")] == REAL["class_id"]
        yield school


@pytest.fixture(params=["admin", "stud_a"])
def new_token(request: pytest.FixtureRequest, school: School) -> Callable[[], str]:
    """Issues a new API token for each generated case, so that a fuzzed logout or token
    revocation does not log every later case out."""
    if request.param != "admin" and school.backend.engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL is fuzzed as an admin only, to bound the time; SQLite as both")

    def issue() -> str:
        with school.backend.transaction() as s:
            user = s.get(User, school.ids[request.param])
            assert user is not None
            return auth.issue_token(s, user=user, kind="api", name="fuzz").token

    return issue


@schemathesis.check
def one_error_shape(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> bool:
    """Every 4xx answer is ``{"error": {"status", "code", "message", "details"}}``."""
    if not 400 <= response.status_code < 500:
        return True
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, f"not the error shape: {body!r}"
    error = body["error"]
    assert set(error) == {"status", "code", "message", "details"}, f"wrong keys: {error!r}"
    assert error["status"] == response.status_code, f"error.status is {error['status']}"
    assert isinstance(error["code"], str) and error["code"], "error.code is empty"
    assert isinstance(error["message"], str) and error["message"], "error.message is empty"
    assert isinstance(error["details"], dict), "error.details is not an object"
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    one_error_shape,
]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_no_input_breaks_the_api(
    case: schemathesis.Case, new_token: Callable[[], str], school: School
) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {new_token()}"},
        checks=CHECKS,
        app=school.app_client.app,
    )
