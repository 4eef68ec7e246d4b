"""The OpenAI-compatible client against a real HTTP server started here (the one fake at an
edge we do not own): it streams server-sent events the way OpenAI, vLLM and Ollama do."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from learnloop.errors import ChatModelUnavailable
from learnloop.tutor import ChatMessage, OpenAIChat

HELLO = [ChatMessage("system", "Be brief."), ChatMessage("user", "Say hello.")]


def _chunk(content: str | None = None, role: str | None = None) -> bytes:
    delta: dict[str, str] = {}
    if role:
        delta["role"] = role
    if content is not None:
        delta["content"] = content
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "tiny",
        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


class Handler(BaseHTTPRequestHandler):
    """Behaves by the model name asked for, so one server covers every case."""

    requests: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Handler.requests.append({"path": self.path, "headers": dict(self.headers), **body})
        model = body["model"]
        if self.path != "/v1/chat/completions":
            return self._json(404, {"detail": "Not Found"})
        if model == "missing":
            return self._json(
                404, {"error": {"message": "model 'missing' not found", "type": "not_found"}}
            )
        if model == "plain":
            return self._json(200, {"choices": [{"message": {"content": "All at once."}}]})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        if model == "garbage":
            self.wfile.write(b"data: {not json\n\n")
            return
        if model == "fails-midway":
            self.wfile.write(_chunk("Hel", role="assistant"))
            self.wfile.write(b'data: {"error": {"message": "out of memory"}}\n\n')
            return
        if model == "slow":
            time.sleep(1.5)
        self.wfile.write(b": keep-alive\n\n")
        self.wfile.write(_chunk("", role="assistant"))
        for piece in ("Hel", "lo", ", ", "student", "!"):
            self.wfile.write(_chunk(piece))
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")

    def _json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def test_streams_the_reply_in_pieces(server: str) -> None:
    chat = OpenAIChat(server + "/", "tiny", api_key="sk-test")
    pieces = list(chat.stream(HELLO, max_tokens=20, temperature=0.5, stop=["\n\n"]))
    assert pieces == ["Hel", "lo", ", ", "student", "!"]

    sent = Handler.requests[-1]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["Authorization"] == "Bearer sk-test"
    assert sent["messages"] == [m.to_dict() for m in HELLO]
    assert (sent["stream"], sent["max_tokens"], sent["temperature"]) == (True, 20, 0.5)
    assert sent["stop"] == ["\n\n"]


def test_complete_joins_the_pieces(server: str) -> None:
    assert OpenAIChat(server, "tiny").complete(HELLO) == "Hello, student!"
    assert "Authorization" not in Handler.requests[-1]["headers"]


def test_a_server_that_ignores_streaming_still_works(server: str) -> None:
    assert OpenAIChat(server, "plain").complete(HELLO) == "All at once."


def test_an_http_error_carries_the_servers_message_and_a_hint(server: str) -> None:
    with pytest.raises(ChatModelUnavailable) as info:
        OpenAIChat(server, "missing").complete(HELLO)
    message = str(info.value)
    assert "HTTP 404" in message and "model 'missing' not found" in message
    assert "LEARNLOOP_OPENAI_MODEL" in message


def test_a_wrong_base_url_is_named(server: str) -> None:
    wrong = server.removesuffix("/v1")
    with pytest.raises(ChatModelUnavailable, match=r"HTTP 404: Not Found .*ends in /v1"):
        OpenAIChat(wrong, "tiny").complete(HELLO)


def test_bad_json_is_a_clear_error(server: str) -> None:
    with pytest.raises(ChatModelUnavailable, match=r"not JSON: '\{not json'"):
        OpenAIChat(server, "garbage").complete(HELLO)


def test_an_error_in_the_middle_of_the_stream_is_raised(server: str) -> None:
    chat = OpenAIChat(server, "fails-midway")
    pieces = chat.stream(HELLO)
    assert next(pieces) == "Hel"
    with pytest.raises(ChatModelUnavailable, match="reported an error: out of memory"):
        next(pieces)


def test_a_silent_server_times_out(server: str) -> None:
    with pytest.raises(ChatModelUnavailable, match=r"sent nothing for 0\.3 s"):
        OpenAIChat(server, "slow", timeout=0.3).complete(HELLO)


def test_connection_refused_says_where_and_what_to_check() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    chat = OpenAIChat(f"http://127.0.0.1:{port}/v1", "tiny", timeout=5)
    with pytest.raises(ChatModelUnavailable) as info:
        chat.complete(HELLO)
    message = str(info.value)
    assert f"cannot connect to the chat server at http://127.0.0.1:{port}/v1" in message
    assert "LEARNLOOP_OPENAI_BASE_URL" in message


def test_describe_and_availability() -> None:
    chat = OpenAIChat("http://127.0.0.1:11434/v1", "qwen2.5:0.5b")
    assert chat.available()
    assert chat.describe() == "openai-compatible: qwen2.5:0.5b at http://127.0.0.1:11434/v1"
    assert not OpenAIChat("127.0.0.1:11434", "m").available()
