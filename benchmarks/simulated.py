"""A SIMULATED provider on 127.0.0.1, for `routerx demo` and end-to-end tests.

It is clearly not a language model: each simulated model has a fixed skill p, and for
a benchmark prompt it answers with the suite's reference solution with probability p
(a deterministic draw per model, task and seed) and with a wrong solution otherwise.
Everything downstream is real: the HTTP wire format (OpenAI-compatible `/models` and
`/chat/completions`), the latency it takes, the sandbox that runs the answer, the
scores and placements computed from the results.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from benchmarks.extraction import is_body
from benchmarks.registry import get_benchmark


@dataclass(frozen=True)
class SimulatedModel:
    name: str
    skill: float        # probability of answering with the reference solution
    latency_s: float    # time taken per answer


DEMO_MODELS = (
    SimulatedModel("sim-ace", 0.95, 0.12),
    SimulatedModel("sim-solid", 0.75, 0.08),
    SimulatedModel("sim-fair", 0.45, 0.05),
    SimulatedModel("sim-weak", 0.15, 0.03),
)


def _draw(*parts: object) -> float:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class SimulatedProvider:
    """Context manager: an OpenAI-compatible server whose models have known skill."""

    def __init__(self, models: tuple[SimulatedModel, ...] = DEMO_MODELS,
                 benchmarks: tuple[str, ...] = ("humaneval",), *,
                 rate_limit_every: int = 0, api_key: str | None = None) -> None:
        """`rate_limit_every=k` answers every k-th completion request with HTTP 429 and
        `Retry-After: 0`, like a provider under load (for resilience tests). With
        `api_key`, a request without `Authorization: Bearer <api_key>` gets HTTP 401,
        like a provider whose key was revoked (`api_key` may be changed while serving)."""
        self.models = {m.name: m for m in models}
        self.rate_limit_every = rate_limit_every
        self.api_key = api_key
        self.rejected = 0
        self.requests = 0
        self.rate_limited = 0
        self.asked: Counter[tuple[str, str, Any]] = Counter()  # (model, task, seed) answered
        self._lock = threading.Lock()
        self._answers: dict[str, tuple[str, str]] = {}  # prompt json -> (task id, reference)
        for name in benchmarks:
            bench = get_benchmark(name)
            for task in bench.load():
                key = json.dumps(bench.prompt(task), sort_keys=True)
                ref = bench.reference(task)
                full = task.prompt + ref if is_body(ref) else ref
                self._answers[key] = (task.task_id, full)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/v1"

    def __enter__(self) -> SimulatedProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, model: SimulatedModel, messages: list[dict[str, str]], seed: Any) -> str:
        key = json.dumps(messages, sort_keys=True)
        task_id, reference = self._answers.get(key, ("?", ""))
        with self._lock:
            self.asked[(model.name, task_id, seed)] += 1
        if reference and _draw(model.name, task_id, seed) < model.skill:
            code = reference
        else:
            code = "def solution(*args, **kwargs):\n    return None\n"
            if reference:  # same signature, wrong body: fails the tests, parses fine
                head = reference.split(":\n", 1)[0]
                code = f"{head}:\n    return None\n" if head.startswith("def ") else code
        return f"(simulated answer)\n```python\n{code}\n```\n"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def _send(self, status: int, body: dict[str, Any],
                      headers: dict[str, str] | None = None) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _authorised(self) -> bool:
                if outer.api_key is None or \
                        self.headers.get("authorization") == f"Bearer {outer.api_key}":
                    return True
                with outer._lock:
                    outer.rejected += 1
                self._send(401, {"error": {"message": "invalid api key (simulated)",
                                           "type": "invalid_request_error"}})
                return False

            def do_GET(self) -> None:  # noqa: N802
                if not self._authorised():
                    return None
                if self.path.rstrip("/") != "/v1/models":
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                self._send(200, {"object": "list", "data": [
                    {"id": m.name, "object": "model", "created": 1_735_689_600,
                     "owned_by": "routerx-simulated", "name": f"SIMULATED {m.name}"}
                    for m in outer.models.values()]})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except json.JSONDecodeError:
                    return self._send(400, {"error": {"message": "body is not JSON"}})
                if self.path.rstrip("/") != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                if not self._authorised():
                    return None
                model = outer.models.get(str(body.get("model")))
                if model is None:
                    return self._send(404, {"error": {"message": "model not found"}})
                with outer._lock:
                    outer.requests += 1
                    storm = outer.rate_limit_every and outer.requests % outer.rate_limit_every == 0
                    outer.rate_limited += bool(storm)
                if storm:
                    return self._send(429, {"error": {"message": "rate limited (simulated)"}},
                                      {"Retry-After": "0"})
                time.sleep(model.latency_s)
                messages = body.get("messages") or []
                text = outer.answer(model, messages, body.get("seed"))
                prompt_chars = sum(len(str(m.get("content", ""))) for m in messages)
                self._send(200, {
                    "id": "simulated", "object": "chat.completion", "model": model.name,
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": text}}],
                    "usage": {"prompt_tokens": prompt_chars // 4,
                              "completion_tokens": len(text) // 4,
                              "total_tokens": prompt_chars // 4 + len(text) // 4},
                })

        return Handler
