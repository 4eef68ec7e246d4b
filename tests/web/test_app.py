"""The web app: health, the course list, API docs and one error shape for every error."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from learnloop.services import Backend
from learnloop.web import create_app
from tests.web.conftest import School


def test_health_docs_and_courses(school: School) -> None:
    client = school.client(None)
    health = client.get("/api/v1/health").json()
    assert health["status"] == "ok"
    assert health["schema_revision"] == health["schema_head"]
    docs = client.get("/docs")
    assert docs.status_code == 200
    # served from the package: works offline, and no third-party script on our origin
    assert "http" not in "".join(re.findall(r'(?:src|href)="([^"]*)"', docs.text))
    assert "cdn" not in docs.text
    for asset in re.findall(r'(?:src|href)="(/docs-static/[^"]+)"', docs.text):
        assert client.get(asset).status_code == 200, asset
    assert "/docs-static/swagger-ui-bundle.js" in docs.text
    assert client.get("/openapi.json").json()["info"]["title"] == "learnloop"
    assert client.get("/api/v1/courses").status_code == 401
    assert {c["id"] for c in school.client("admin").get("/api/v1/courses").json()} == {
        "tiny",
        "other",
    }
    listed = school.client("stud_a").get("/api/v1/courses").json()
    assert listed == [
        {
            "id": "tiny",
            "title": {"en": "Tiny course", "zh": "小课程"},
            "languages": ["en", "zh"],
            "concepts": 2,
            "items": 3,
            "materials": 1,
        }
    ]


def test_errors_share_one_json_shape(backend: Backend) -> None:
    client = TestClient(create_app(backend))
    response = client.get("/api/v1/no-such-route")
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "code", "message", "details"}
    assert body["error"]["status"] == 404 and body["error"]["code"] == "not_found"

    wrong_method = client.delete("/api/v1/courses")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
