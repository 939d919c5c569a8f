"""The token and the body limit are settled before a body is read: in the ASGI app (a
receive that counts what is pulled from a 100 MB stream) and over a real socket (a
client that never sends the body it announced still gets its answer)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from router.api import create_app
from router.api_guard import bearer_ok
from router.router import Router
from tests.router.routing_fixtures import CATEGORY, doc, seed
from tests.servers import uvicorn_thread

TOKEN = "guard-token-0123456789"
LIMIT = 64 * 1024
CHUNK = 64 * 1024
HUNDRED_MB = 100 * 1024 * 1024
M0 = "prov/model-0:8b"


@pytest.fixture
def lite(tmp_path) -> str:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'guard.db'}"
    seed(url, doc(3))
    return url


class Stream:
    """An ASGI receive serving `total` bytes in CHUNK pieces, lazily; counts what is pulled."""

    def __init__(self, total: int, body: bytes = b"") -> None:
        self.total, self.body, self.pulled = total, body, 0

    async def __call__(self) -> dict[str, Any]:
        if self.body:
            body, self.body = self.body, b""
            self.pulled += len(body)
            return {"type": "http.request", "body": body, "more_body": False}
        if self.pulled >= self.total:
            return {"type": "http.disconnect"}
        self.pulled += CHUNK
        return {"type": "http.request", "body": b"x" * CHUNK,
                "more_body": self.pulled < self.total}


async def call(app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]],
               receive: Stream) -> tuple[int, dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8787)}
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body)


JSON = (b"content-type", b"application/json")
AUTH = (b"authorization", f"Bearer {TOKEN}".encode())


async def test_unauthenticated_100_mb_is_401_with_nothing_read(lite: str) -> None:
    app = create_app(database_url=lite, token=TOKEN, max_body_bytes=LIMIT)
    for headers in ([JSON, (b"content-length", str(HUNDRED_MB).encode())],  # declared
                    [JSON, (b"transfer-encoding", b"chunked")],              # streamed
                    [JSON, (b"authorization", b"Bearer wr\xc3\xb6ng")]):
        stream = Stream(HUNDRED_MB)
        status, body = await call(app, "POST", "/v1/outcomes", headers, stream)
        assert (status, stream.pulled) == (401, 0)
        assert "bearer token" in body["detail"]


async def test_a_declared_length_over_the_limit_is_413_with_nothing_read(lite: str) -> None:
    app = create_app(database_url=lite, token=TOKEN, max_body_bytes=LIMIT)
    stream = Stream(HUNDRED_MB)
    status, body = await call(app, "POST", "/v1/outcomes",
                              [JSON, AUTH, (b"content-length", str(HUNDRED_MB).encode())], stream)
    assert (status, stream.pulled) == (413, 0)
    assert f"over {LIMIT} bytes" in body["detail"]
    assert "ROUTERX_API_MAX_BODY_BYTES" in body["detail"]


async def test_a_chunked_body_is_counted_as_it_streams(lite: str) -> None:
    app = create_app(database_url=lite, token=TOKEN, max_body_bytes=LIMIT)
    stream = Stream(HUNDRED_MB)
    status, _ = await call(app, "POST", "/v1/outcomes",
                           [JSON, AUTH, (b"transfer-encoding", b"chunked")], stream)
    assert status == 413 and stream.pulled <= LIMIT + CHUNK  # stopped at the limit


async def test_a_body_within_the_limit_reaches_the_endpoint(lite: str) -> None:
    app = create_app(database_url=lite, token=TOKEN, max_body_bytes=LIMIT)
    body = json.dumps({"model": M0, "category": CATEGORY, "success": True}).encode()
    status, answer = await call(app, "POST", "/v1/outcomes",
                                [JSON, AUTH, (b"content-length", str(len(body)).encode())],
                                Stream(0, body))
    assert status == 201 and answer["recorded"] == 1


def test_the_limit_comes_from_the_environment(lite: str, monkeypatch) -> None:  # noqa: ANN001
    from fastapi.testclient import TestClient

    monkeypatch.setenv("ROUTERX_API_MAX_BODY_BYTES", "2048")
    with TestClient(create_app(database_url=lite)) as c:
        big = [{"model": M0, "category": CATEGORY, "success": True}] * 50  # ~3 KB
        assert c.post("/v1/outcomes", json=big).status_code == 413
        assert c.post("/v1/outcomes", json=big[:5]).status_code == 201


@pytest.mark.parametrize(("header", "ok"), [
    (b"Bearer " + TOKEN.encode(), True),
    (b"bearer " + TOKEN.encode(), True),
    (b"Bearer " + TOKEN.encode() + b"\xc3\xa9", False),
    (b"Bearer \xff" + TOKEN.encode(), False),
    (b"Basic " + TOKEN.encode(), False),
    (b"Bearer", False),
])
def test_bearer_ok_compares_raw_bytes(header: bytes, ok: bool) -> None:
    assert bearer_ok([(b"authorization", header)], TOKEN) is ok
    assert bearer_ok([], TOKEN) is False and bearer_ok([], None) is True


# --- over a real loopback socket ------------------------------------------------------------

@pytest.fixture
def served(lite: str) -> Iterator[int]:
    app = create_app(router=Router(lite), token=TOKEN, max_body_bytes=LIMIT)
    app.state.database_url = lite
    with uvicorn_thread(app) as port:
        yield port


def exchange(port: int, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
    """Send the request head (and `body`, possibly only part of what it announced), then
    read the answer: it must come although the rest of the body is never sent."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
        conn.sendall(head + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            assert chunk, f"connection closed before an answer: {data!r}"
            data += chunk
        head_part, _, rest = data.partition(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head_part.split(b"\r\n")
                          if line.lower().startswith(b"content-length")))
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            rest += chunk
    return int(head_part.split(b" ")[1]), rest


def post_head(length: str | None, auth: bytes | None, expect: bool = False) -> bytes:
    lines = [b"POST /v1/outcomes HTTP/1.1", b"Host: 127.0.0.1", b"Content-Type: application/json"]
    lines.append(b"Transfer-Encoding: chunked" if length is None
                 else b"Content-Length: " + length.encode())
    if auth is not None:
        lines.append(b"Authorization: " + auth)
    if expect:
        lines.append(b"Expect: 100-continue")
    return b"\r\n".join(lines) + b"\r\n\r\n"


def test_over_a_socket_no_body_is_awaited_for_401_or_413(served: int) -> None:
    # 100 MB announced, one kilobyte sent: the answer comes without the rest.
    for auth in (None, b"Bearer nope", b"Bearer t\xc3\xb6k\xc3\xa9n", b"Bearer \xff\xfe"):
        status, body = exchange(served, post_head(str(HUNDRED_MB), auth), b"[" * 1024)
        assert status == 401 and b"bearer token" in body
    status, _ = exchange(served, post_head(str(HUNDRED_MB), b"Bearer " + TOKEN.encode(),
                                           expect=True))
    assert status == 413  # and no "100 Continue": the client is never asked for the body


def test_over_a_socket_a_chunked_body_is_cut_off_at_the_limit(served: int) -> None:
    piece = b"x" * 8192
    chunks = (b"%x\r\n" % len(piece) + piece + b"\r\n") * (LIMIT // len(piece) + 2)
    status, body = exchange(served, post_head(None, b"Bearer " + TOKEN.encode()), chunks)
    assert status == 413 and b"ROUTERX_API_MAX_BODY_BYTES" in body  # no final 0-chunk sent


def test_over_a_socket_the_fast_path_and_the_endpoint_refuse_alike(served: int) -> None:
    for target in (f"/v1/route?category={CATEGORY}", f"/v1/route?category={CATEGORY}&task_id=t"):
        for auth in (b"Bearer t\xc3\xb6k\xc3\xa9n", b"Bearer \xff", b"\xe9\xe9"):
            head = (f"GET {target} HTTP/1.1\r\nHost: x\r\n".encode() + b"Authorization: "
                    + auth + b"\r\n\r\n")
            assert exchange(served, head)[0] == 401
        head = f"GET {target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
        status, body = exchange(served, head.encode())
        assert status == 200 and json.loads(body)["model"] == M0
