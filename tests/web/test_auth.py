"""Logging in and out: cookies, bearer tokens, revocation, password change, rate limits."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, School


def test_browser_login_sets_a_session_cookie_and_logout_ends_it(school: School) -> None:
    c = TestClient(school.app_client.app)
    r = c.post("/api/v1/auth/login", json={"username": "stud_a", "password": PASSWORD})
    assert r.status_code == 200
    assert "learnloop_session" in r.cookies
    assert "httponly" in r.headers["set-cookie"].lower()
    assert c.get("/api/v1/me").json()["username"] == "stud_a"
    token = r.json()["token"]
    assert c.post("/api/v1/auth/logout").status_code == 204
    again = TestClient(school.app_client.app, headers={"Authorization": f"Bearer {token}"})
    assert again.get("/api/v1/me").status_code == 401


def test_wrong_passwords_are_refused_then_rate_limited(school: School) -> None:
    c = TestClient(school.app_client.app)
    for _ in range(5):
        r = c.post("/api/v1/auth/login", json={"username": "stud_a", "password": "nope-nope"})
        assert r.status_code == 401
        assert r.json()["error"]["message"] == "wrong username or password"
    blocked = c.post("/api/v1/auth/login", json={"username": "stud_a", "password": PASSWORD})
    assert blocked.status_code == 429
    assert blocked.json()["error"]["details"]["retry_after"] > 0
    # another account is not affected
    ok = c.post("/api/v1/auth/login", json={"username": "stud_b", "password": PASSWORD})
    assert ok.status_code == 200


def test_api_tokens_can_be_listed_and_revoked(school: School) -> None:
    c = school.client("teach_a")
    made = c.post("/api/v1/auth/tokens", json={"name": "gradebook sync"})
    assert made.status_code == 201
    token = made.json()["token"]
    listed = c.get("/api/v1/auth/tokens").json()
    assert "gradebook sync" in [t["name"] for t in listed]
    other = TestClient(school.app_client.app, headers={"Authorization": f"Bearer {token}"})
    assert other.get("/api/v1/me").status_code == 200
    assert c.delete(f"/api/v1/auth/tokens/{made.json()['id']}").status_code == 204
    assert other.get("/api/v1/me").status_code == 401
    # someone else's token id is not found
    assert (
        school.client("teach_b").delete(f"/api/v1/auth/tokens/{made.json()['id']}").status_code
        == 404
    )


def test_changing_the_password_ends_other_logins(school: School) -> None:
    first = school.client("stud_a")
    second = school.client("stud_a")
    wrong = first.post(
        "/api/v1/auth/password", json={"old_password": "bad-guess", "new_password": "new-pass-123"}
    )
    assert wrong.status_code == 401
    short = first.post(
        "/api/v1/auth/password", json={"old_password": PASSWORD, "new_password": "x"}
    )
    assert short.status_code == 422
    ok = first.post(
        "/api/v1/auth/password", json={"old_password": PASSWORD, "new_password": "new-pass-123"}
    )
    assert ok.status_code == 204
    assert first.get("/api/v1/me").status_code == 200
    assert second.get("/api/v1/me").status_code == 401
    c = TestClient(school.app_client.app)
    assert (
        c.post(
            "/api/v1/auth/login", json={"username": "stud_a", "password": "new-pass-123"}
        ).status_code
        == 200
    )


def test_anonymous_requests_are_told_how_to_log_in(school: School) -> None:
    r = TestClient(school.app_client.app).get("/api/v1/courses")
    assert r.status_code == 401
    assert "log in" in r.json()["error"]["message"]


def test_a_stranger_cannot_lock_the_owner_out_from_their_own_machine(school: School) -> None:
    """Wrong passwords from one client hold that client back, not the account's owner
    elsewhere; an unknown name is refused with the same words as a wrong password."""
    attacker = TestClient(school.app_client.app, client=("203.0.113.9", 50000))
    owner = TestClient(school.app_client.app, client=("198.51.100.7", 50000))
    for _ in range(8):
        attacker.post("/api/v1/auth/login", json={"username": "stud_a", "password": "guess-1234"})
    assert (
        attacker.post(
            "/api/v1/auth/login", json={"username": "stud_a", "password": PASSWORD}
        ).status_code
        == 429
    )
    assert (
        owner.post(
            "/api/v1/auth/login", json={"username": "stud_a", "password": PASSWORD}
        ).status_code
        == 200
    )
    unknown = owner.post(
        "/api/v1/auth/login", json={"username": "nobody", "password": "guess-1234"}
    )
    wrong = owner.post("/api/v1/auth/login", json={"username": "stud_b", "password": "guess-1234"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["error"]["message"] == wrong.json()["error"]["message"]


def test_an_unknown_name_costs_a_password_check_like_a_known_one(
    school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    from learnloop.services import auth

    checked: list[str] = []
    real = auth.verify_password

    def counting(password_hash: str | None, password: str) -> bool:
        checked.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", counting)
    c = TestClient(school.app_client.app)
    c.post("/api/v1/auth/login", json={"username": "nobody", "password": "guess-1"})
    c.post("/api/v1/auth/login", json={"username": "stud_b", "password": "guess-2"})
    assert checked == ["guess-1", "guess-2"]


def test_parallel_guesses_cannot_race_past_the_limit(school: School) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from learnloop.errors import AuthenticationError, RateLimitedError
    from learnloop.services import auth

    def guess(n: int) -> str:
        try:
            auth.login(school.backend, username="stud_b", password=f"guess-{n}", client="x")
        except RateLimitedError:
            return "limited"
        except AuthenticationError:
            return "wrong"
        return "in"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(guess, range(24)))
    assert outcomes.count("wrong") <= auth.FAILED_LOGIN_LIMIT  # every other one was refused
    assert outcomes.count("limited") >= 24 - auth.FAILED_LOGIN_LIMIT


def test_wrong_current_passwords_are_limited_too(school: School) -> None:
    c = school.client("stud_b")
    for _ in range(5):
        r = c.post(
            "/api/v1/auth/password",
            json={"old_password": "guess-1234", "new_password": "new-pass-123"},
        )
        assert r.status_code == 401
    r = c.post(
        "/api/v1/auth/password", json={"old_password": PASSWORD, "new_password": "new-pass-123"}
    )
    assert r.status_code == 429
