"""`learnloop demo` then `learnloop serve`: a real server process answering on a port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_demo_then_serve_answers_with_both_demo_courses(tmp_path: Path) -> None:
    env = {**os.environ, "LEARNLOOP_DATA_DIR": str(tmp_path / "data")}
    setup = subprocess.run(
        [sys.executable, "-m", "learnloop", "demo", "--no-serve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert setup.returncode == 0, setup.stderr
    assert "user: teacher" in setup.stdout and "password: teacher-demo" in setup.stdout

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "learnloop", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                home = httpx.get(f"http://127.0.0.1:{port}/", follow_redirects=True)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "server did not start within 60 s"
                time.sleep(0.3)
        assert home.status_code == 200 and 'name="password"' in home.text  # the login page
        docs = httpx.get(f"http://127.0.0.1:{port}/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
        base = f"http://127.0.0.1:{port}/api/v1"
        login = httpx.post(
            f"{base}/auth/login",
            json={"username": "student", "password": "student-demo", "kind": "api"},
        )
        assert login.status_code == 200, login.text
        auth = {"Authorization": f"Bearer {login.json()['token']}"}
        ids = {c["id"] for c in httpx.get(f"{base}/courses", headers=auth).json()}
        assert ids == {"fractions", "photosynthesis"}
    finally:
        server.terminate()
        server.wait(timeout=30)
