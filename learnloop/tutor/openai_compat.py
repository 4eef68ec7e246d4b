"""Any server speaking OpenAI's chat completions API: vLLM, Ollama, llama.cpp's server, a
hosted API.

The reply streams as server-sent events (``data: {json}`` lines ending with ``data: [DONE]``).
Every failure becomes a ``ChatModelUnavailable`` naming the server and the setting to check;
the server's own error message is kept, since it usually says exactly what is wrong (an
unknown model name, a missing key).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

from learnloop.errors import ChatModelUnavailable
from learnloop.tutor.chat import ChatMessage, ChatModel

_HINTS = {
    401: "check LEARNLOOP_OPENAI_API_KEY",
    403: "check LEARNLOOP_OPENAI_API_KEY",
    404: "check LEARNLOOP_OPENAI_BASE_URL (it usually ends in /v1) and LEARNLOOP_OPENAI_MODEL",
}


class OpenAIChat(ChatModel):
    """Streams ``POST {base_url}/chat/completions``.

    ``timeout`` bounds connecting and each wait for the next piece, not the whole reply.
    """

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "",
        timeout: float = 120.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout
        headers = {"Accept": "text/event-stream"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        )

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def describe(self) -> str:
        return f"openai-compatible: {self.model} at {self.base_url}"

    def unavailable_reason(self) -> str | None:
        if not self.base_url.startswith(("http://", "https://")):
            return f"LEARNLOOP_OPENAI_BASE_URL {self.base_url!r} is not an http(s) URL"
        if not self.model:
            return "LEARNLOOP_OPENAI_MODEL is empty"
        return None

    def close(self) -> None:
        self._client.close()

    def _stream(
        self,
        messages: list[ChatMessage],
        *,
        max_tokens: int,
        temperature: float,
        stop: list[str],
    ) -> Iterator[str]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [m.to_dict() for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
        if stop:
            body["stop"] = stop
        try:
            with self._client.stream("POST", self.url, json=body) as response:
                if response.status_code >= 400:
                    response.read()
                    raise self._http_error(response)
                if "text/event-stream" not in response.headers.get("content-type", ""):
                    # a server that ignored "stream": the whole reply in one JSON body
                    response.read()
                    text = _content(self._json(response.text), "message")
                    if text:
                        yield text
                    return
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue  # blank separators, ": keep-alive" comments, event names
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    text = _content(self._json(data), "delta")
                    if text:
                        yield text
        except httpx.ConnectError as exc:
            raise ChatModelUnavailable(
                f"cannot connect to the chat server at {self.base_url} ({exc}); is it "
                f"running? Check LEARNLOOP_OPENAI_BASE_URL"
            ) from None
        except httpx.TimeoutException:
            raise ChatModelUnavailable(
                f"the chat server at {self.base_url} sent nothing for {self.timeout:g} s; "
                f"it may be overloaded or still loading {self.model}"
            ) from None
        except httpx.HTTPError as exc:
            raise ChatModelUnavailable(
                f"the connection to the chat server at {self.base_url} failed mid-reply "
                f"({type(exc).__name__}: {exc})"
            ) from None

    def _json(self, text: str) -> dict[str, Any]:
        try:
            payload = json.loads(text)
        except json.JSONDecodeError:
            raise ChatModelUnavailable(
                f"the chat server at {self.url} sent something that is not JSON: "
                f"{text[:200]!r}; is LEARNLOOP_OPENAI_BASE_URL an OpenAI-compatible API?"
            ) from None
        if not isinstance(payload, dict):
            raise ChatModelUnavailable(
                f"the chat server at {self.url} sent {text[:200]!r}, not a JSON object"
            )
        if payload.get("error"):
            raise ChatModelUnavailable(
                f"the chat server at {self.url} reported an error: {_message(payload)}"
            )
        return payload

    def _http_error(self, response: httpx.Response) -> ChatModelUnavailable:
        try:
            message = _message(response.json())
        except ValueError:
            message = response.text.strip()[:300] or response.reason_phrase
        hint = _HINTS.get(response.status_code, "")
        return ChatModelUnavailable(
            f"the chat server at {self.url} answered HTTP {response.status_code}: {message}"
            + (f" ({hint})" if hint else "")
        )


def _message(payload: Any) -> str:
    """The human part of an error body: OpenAI's ``{"error": {"message"}}``, FastAPI's
    ``{"detail"}``, or the JSON itself."""
    if isinstance(payload, dict):
        error = payload.get("error", payload.get("detail"))
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
    return json.dumps(payload)[:300]


def _content(payload: dict[str, Any], key: str) -> str:
    choices = payload.get("choices") or []
    if not choices or not isinstance(choices[0], dict):
        return ""
    part = choices[0].get(key) or {}
    content = part.get("content") if isinstance(part, dict) else None
    return content if isinstance(content, str) else ""
