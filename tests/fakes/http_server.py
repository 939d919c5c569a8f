"""A real HTTP server on 127.0.0.1 for provider tests.

Why not a mocked transport: status codes, headers, timeouts and pagination have to
cross a real socket for the retry and timeout logic to be tested honestly. Routes are
scripted: each (method, path) has a list of responses served in turn (the last one
repeats), or a handler function for dynamic answers. Every request is recorded, and the
server counts requests in flight (`max_in_flight`) so concurrency bounds can be checked
where they matter: at the provider.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BREAK = None  # in `Reply.stream`: drop the connection here, mid-answer


@dataclass
class Reply:
    status: int = 200
    body: Any = None          # dict/list -> JSON; str/bytes -> sent as is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # A streamed answer instead of `body`: (seconds to wait, bytes to send) pieces, each
    # sent as one HTTP chunk the moment its wait is over; BREAK drops the connection.
    stream: list[tuple[float, bytes] | None] | None = None


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    raw_target: str
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[Recorded], Reply]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops simultaneous connects into later rounds,
    # which would look like a concurrency limit in the client that is not there.
    request_queue_size = 128


class FakeHTTPServer:
    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], list[Reply] | Handler] = {}
        self.requests: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.streams_cut_by_client = 0  # streamed answers the client hung up on midway
        self._lock = threading.Lock()
        outer = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes; with Nagle on, the client's delayed
            # ACK stalls every answer by ~40 ms and distorts measured latencies.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # keep test output clean
                return

            def _serve(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                rec = Recorded(self.command, split.path, parse_qs(split.query),
                               {k.lower(): v for k, v in self.headers.items()},
                               self.rfile.read(length) if length else b"", self.path,
                               time.monotonic())
                with outer._lock:
                    outer.requests.append(rec)
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                try:
                    reply = outer._reply_for(rec)
                    if reply.delay:
                        time.sleep(reply.delay)
                finally:
                    # Counted out before the answer is sent: the client cannot start its
                    # next request before this one stops counting, so no false overlap.
                    with outer._lock:
                        outer.in_flight -= 1
                self._answer(reply)

            def _stream(self, reply: Reply) -> None:
                self.send_response(reply.status)
                headers = {"content-type": "text/event-stream", **reply.headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                self.wfile.flush()
                for piece in reply.stream or ():
                    if piece is BREAK:
                        self.close_connection = True
                        self.connection.shutdown(2)  # socket.SHUT_RDWR: cut mid-answer
                        return
                    wait, data = piece
                    if wait:
                        time.sleep(wait)
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def _answer(self, reply: Reply) -> None:
                if reply.stream is not None:
                    try:
                        self._stream(reply)
                    except OSError:  # broken pipe, reset: the client hung up
                        with outer._lock:
                            outer.streams_cut_by_client += 1
                    return
                if isinstance(reply.body, bytes):
                    payload = reply.body
                elif isinstance(reply.body, str):
                    payload = reply.body.encode()
                else:
                    payload = json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    headers = {"content-type": "application/json", **reply.headers}
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_DELETE = _serve  # noqa: N815

        self._server = _Server(("127.0.0.1", 0), _H)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, method: str, path: str, *replies: Reply | Handler) -> None:
        if len(replies) == 1 and callable(replies[0]):
            self._routes[(method, path)] = replies[0]  # type: ignore[assignment]
        else:
            self._routes[(method, path)] = list(replies)  # type: ignore[arg-type]

    def hits(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def _reply_for(self, rec: Recorded) -> Reply:
        with self._lock:
            route = self._routes.get((rec.method, rec.path))
            if route is None:
                return Reply(404, {"error": f"no route {rec.method} {rec.path}"})
            if callable(route):
                handler = route
            else:
                return route.pop(0) if len(route) > 1 else route[0]
        return handler(rec)

    def __enter__(self) -> FakeHTTPServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
