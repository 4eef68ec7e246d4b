"""The tutor's speed through the API, next to raw llama.cpp on the same prompt.

Run::

    .venv/bin/python bench/tutor.py                        # 1.5B model, 6 questions
    .venv/bin/python bench/tutor.py --model qwen2.5-0.5b --questions 3

A fresh data folder gets the demo (both courses, indexed) and the local model. The server
runs in this process (uvicorn on a free port) with the model the settings choose; each
question goes to ``POST /api/v1/tutor/messages`` as server-sent events, and the time to the
first ``token`` event and the pace of the rest are measured at the client. Then the prompt
the tutor built for that question (recorded on its way to the model) goes straight to the
same loaded llama.cpp model, and is timed the same way. The model's context is reset before
every run, so neither side re-uses the other's processed prompt.

The difference in time to first token is our overhead: HTTP, login, storing the message,
retrieval, the prompt, the leak guard. The aim is at most 20 % over raw llama.cpp.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.machine import machine, versions, write_report  # noqa: E402

QUESTIONS = [
    ("fractions", "Why do I need a common denominator to add fractions?"),
    ("fractions", "How do I turn a mixed number into an improper fraction?"),
    ("photosynthesis", "What does chlorophyll do in a leaf?"),
    ("fractions", "为什么分数相加之前要先通分？"),
    ("photosynthesis", "Why do plants need carbon dioxide?"),
    ("photosynthesis", "光合作用需要哪些原料？"),
]
out = Console()
err = Console(stderr=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Recording:
    """Wraps the chat model: records each prompt, resets llama.cpp's context first."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.prompts: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    def stream(self, messages: Sequence[Any], **kw: Any) -> Iterator[str]:
        self.prompts.append((list(messages), kw))
        self.model._loaded().reset()
        return self.model.stream(messages, **kw)


def through_api(client: httpx.Client, course: str, question: str) -> dict:
    started = time.perf_counter()
    first, tokens, text = None, 0, ""
    body = {"course_id": course, "message": question}
    headers = {"Accept": "text/event-stream"}
    with client.stream("POST", "/api/v1/tutor/messages", json=body, headers=headers) as r:
        r.raise_for_status()
        event = ""
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "token":
                if first is None:
                    first = time.perf_counter() - started
                tokens += 1
                text += json.loads(line[6:])["text"]
    total = time.perf_counter() - started
    first = total if first is None else first
    rate = (tokens - 1) / (total - first) if tokens > 1 and total > first else 0.0
    return {"first_token_s": first, "total_s": total, "tokens": tokens, "tokens_per_s": rate}


def raw(model: Any, messages: Sequence[Any], max_tokens: int) -> dict:
    llama = model._loaded()
    llama.reset()
    wire = [m.to_dict() for m in messages]
    started = time.perf_counter()
    first, tokens = None, 0
    for chunk in llama.create_chat_completion(
        wire, max_tokens=max_tokens, temperature=0.2, stream=True
    ):
        delta = chunk["choices"][0].get("delta", {}).get("content")
        if delta:
            if first is None:
                first = time.perf_counter() - started
            tokens += 1
    total = time.perf_counter() - started
    first = total if first is None else first
    rate = (tokens - 1) / (total - first) if tokens > 1 and total > first else 0.0
    return {"first_token_s": first, "total_s": total, "tokens": tokens, "tokens_per_s": rate}


def main() -> None:
    parser = argparse.ArgumentParser(description="Time the tutor through the API and raw.")
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--questions", type=int, default=len(QUESTIONS))
    parser.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: all)")
    parser.add_argument(
        "--model-dir",
        default=str(Path.home() / ".cache" / "learnloop"),
        help="where the assembled model file is kept between runs",
    )
    parser.add_argument("--results", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="learnloop-bench-tutor-"))
    os.environ.update(
        LEARNLOOP_DATA_DIR=str(data),
        LEARNLOOP_CHAT_BACKEND="local",
        LEARNLOOP_LOCAL_MODEL=args.model,
        LEARNLOOP_LLM_THREADS=str(args.threads),
    )
    import uvicorn

    from learnloop.services import Backend
    from learnloop.services.demo import setup_demo
    from learnloop.settings import Settings
    from learnloop.tutor.models import make_chat_model
    from learnloop.web.app import create_app

    settings = Settings()
    backend = Backend.open(settings, check_schema=False)
    err.print("setting up the demo (courses, index, graders) ...")
    setup_demo(backend)
    model = make_chat_model(settings.model_copy(update={"data_dir": Path(args.model_dir)}))
    assert model is not None
    err.print(f"loading {model.describe()} ...")
    load_started = time.perf_counter()
    model.load()
    load_s = time.perf_counter() - load_started
    recorder = Recording(model)
    app = create_app(backend, chat_model=recorder)  # type: ignore[arg-type]
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600)
    login = client.post(
        "/api/v1/auth/login", json={"username": "student", "password": "student-demo"}
    )
    login.raise_for_status()

    rows = []
    questions = QUESTIONS[: args.questions]
    through_api(client, *questions[0])  # warm-up: first-request costs
    for course, question in questions:
        before = len(recorder.prompts)
        api = through_api(client, course, question)
        messages, kw = recorder.prompts[before]
        direct = raw(model, messages, kw.get("max_tokens", 400))
        rows.append({"course": course, "question": question, "api": api, "raw": direct})
        err.print(
            f"{question[:50]}: API {api['first_token_s']:.2f} s / raw "
            f"{direct['first_token_s']:.2f} s to first token",
            markup=False,
        )
    server.should_exit = True
    thread.join(timeout=10)

    def median(side: str, key: str) -> float:
        return statistics.median(r[side][key] for r in rows)

    summary = {
        side: {k: median(side, k) for k in ("first_token_s", "tokens_per_s", "total_s", "tokens")}
        for side in ("api", "raw")
    }
    overhead = summary["api"]["first_token_s"] / summary["raw"]["first_token_s"] - 1
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["bench/tutor.py", *sys.argv[1:]]),
        "machine": machine(),
        "versions": versions("llama_cpp_python", "fastapi", "uvicorn"),
        "model": args.model,
        "threads": args.threads,
        "load_seconds": round(load_s, 2),
        "rows": rows,
        "median": summary,
        "first_token_overhead": round(overhead, 4),
    }
    table = Table(title=f"Tutor speed, {args.model}, median of {len(rows)} questions")
    for col in ("path", "first token s", "tokens/s", "reply s", "tokens"):
        table.add_column(col, justify="right" if col != "path" else "left")
    for side, label in (("raw", "raw llama.cpp, same prompt"), ("api", "learnloop API (SSE)")):
        m = summary[side]
        table.add_row(
            label,
            f"{m['first_token_s']:.3f}",
            f"{m['tokens_per_s']:.1f}",
            f"{m['total_s']:.2f}",
            f"{m['tokens']:.0f}",
        )
    out.print(table)
    out.print(f"overhead on time to first token: {overhead:+.1%} (aim: at most +20 %)")
    lines = [
        f"# Tutor speed ({report['date']})",
        "",
        f"`{report['command']}` on {report['machine'].get('cpu', '')}; model {args.model}, "
        f"loaded in {load_s:.1f} s.",
        "",
        "| path | first token (s) | tokens/s | reply (s) | tokens |",
        "|---|---:|---:|---:|---:|",
    ]
    for side, label in (("raw", "raw llama.cpp, same prompt"), ("api", "learnloop API (SSE)")):
        m = summary[side]
        lines.append(
            f"| {label} | {m['first_token_s']:.3f} | {m['tokens_per_s']:.1f} | "
            f"{m['total_s']:.2f} | {m['tokens']:.0f} |"
        )
    lines += ["", f"Overhead on time to first token: {overhead:+.1%} (aim: at most +20 %).", ""]
    lines += ["| question | API first token | raw first token | API tok/s | raw tok/s |"]
    lines += ["|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['question']} | {r['api']['first_token_s']:.3f} | "
            f"{r['raw']['first_token_s']:.3f} | {r['api']['tokens_per_s']:.1f} | "
            f"{r['raw']['tokens_per_s']:.1f} |"
        )
    stem = write_report(Path(args.results), "tutor", report, "\n".join(lines) + "\n")
    err.print(f"wrote {stem}.json and .md")


if __name__ == "__main__":
    main()
