"""Request body limits (issue 10, defect 4): a body over its route's limit is answered 413
problem+json before FastAPI parses it and before authentication runs, whether it is sent
with a Content-Length or chunked; the application reads at most the limit; the imports
take bodies up to IMPORT_MAX_BYTES; over a real socket the connection stays usable."""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from app.auth import service as auth_service
from app.core import auth as core_auth
from app.core.enums import Role
from tests.factories import TenantWorld, assert_problem

MiB = 1024 * 1024
CHUNK = 64 * 1024


class Feed:
    """A request body sent in chunks, counting what the application took from it. Each
    chunk is a new object that the feed does not keep: whatever the server keeps of a
    body shows in its memory."""

    HEAD = b'{"email": "a@example.com", "password": "'
    TAIL = b'"}'

    def __init__(self, body: bytes | None = None, *, size: int = 0) -> None:
        self.body = body
        self.size = len(body) if body is not None else size
        self.sent = 0

    def _piece(self, start: int, end: int) -> bytes:
        if self.body is not None:
            return self.body[start:end]
        # A JSON object whose one string fills the size: valid, so only its size is wrong.
        if start == 0:
            return self.HEAD
        if end == self.size:
            return b"x" * (end - start - len(self.TAIL)) + self.TAIL
        return b"x" * (end - start)

    def _bounds(self) -> Iterator[tuple[int, int]]:
        start = 0
        if self.body is None:
            yield 0, len(self.HEAD)
            start = len(self.HEAD)
        while start < self.size:
            end = min(start + CHUNK, self.size)
            if self.body is None and self.size - end < len(self.TAIL):
                end = self.size
            yield start, end
            start = end

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start, end in self._bounds():
            self.sent += end - start
            yield self._piece(start, end)


@pytest.fixture
def canaries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record whether authentication (reading the credentials) or the login handler ran."""
    called: list[str] = []

    def canary(name: str) -> Any:
        async def record(*args: Any, **kwargs: Any) -> None:
            called.append(name)
            raise AssertionError(f"{name} ran")

        return record

    monkeypatch.setattr(core_auth, "oauth2_scheme", canary("authentication"))
    monkeypatch.setattr(core_auth, "api_key_scheme", canary("authentication"))
    monkeypatch.setattr(auth_service, "login", canary("the login handler"))
    return called


def _limit(app: Any) -> int:
    return int(app.state.settings.max_body_bytes)


ROUTES = [
    pytest.param("/api/v1/auth/login", {}, id="login"),
    pytest.param("/api/v1/clients", {}, id="authenticated route, no credentials"),
    pytest.param(
        "/api/v1/clients", {"Authorization": "Bearer not-a-token"}, id="authenticated route"
    ),
]


@pytest.mark.parametrize(("path", "headers"), ROUTES)
async def test_declared_length_over_the_limit_is_refused_unread(
    client: httpx.AsyncClient,
    app: FastAPI,
    canaries: list[str],
    path: str,
    headers: dict[str, str],
) -> None:
    feed = Feed(size=40 * MiB)
    r = await client.post(
        path,
        content=feed,
        headers={**headers, "Content-Type": "application/json", "Content-Length": str(feed.size)},
    )
    body = assert_problem(r, 413)
    assert str(_limit(app)) in body["detail"]
    assert r.headers.get("x-request-id")
    assert canaries == []
    assert feed.sent == 0  # refused on its Content-Length: not one byte read


@pytest.mark.parametrize(("path", "headers"), ROUTES)
async def test_chunked_body_over_the_limit_is_cut_at_the_limit(
    client: httpx.AsyncClient,
    app: FastAPI,
    canaries: list[str],
    path: str,
    headers: dict[str, str],
) -> None:
    feed = Feed(size=40 * MiB)
    r = await client.post(
        path, content=feed, headers={**headers, "Content-Type": "application/json"}
    )
    assert "content-length" not in r.request.headers
    assert_problem(r, 413)
    assert canaries == []
    # The application stopped taking the body one chunk past the limit.
    assert feed.sent <= _limit(app) + CHUNK


async def test_bodies_within_the_limit_reach_the_handler(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """At the limit exactly, with either framing: the handler answers (here 422: the
    password is longer than a password may be), not the limit."""
    for framing in ("length", "chunked"):
        feed = Feed(size=_limit(app))
        headers = {"Content-Type": "application/json"}
        if framing == "length":
            headers["Content-Length"] = str(feed.size)
        r = await client.post("/api/v1/auth/login", content=feed, headers=headers)
        assert_problem(r, 422)
        assert feed.sent == feed.size


def _import_rows(w: TenantWorld, size: int) -> bytes:
    """A JSON array of post rows just over `size` bytes."""
    rows = []
    total = 2
    i = 0
    while total <= size:
        row = json.dumps(
            {
                "platform": w.accounts[0].platform,
                "account_handle": w.accounts[0].handle,
                "external_id": f"big-{i}",
                "author_handle": "someone",
                "text": f"Row {i} " + "y" * 400,
                "published_at": "2026-02-01T12:00:00Z",
            }
        )
        rows.append(row)
        total += len(row) + 1
        i += 1
    return ("[" + ",".join(rows) + "]").encode()


@pytest.mark.parametrize("framing", ["length", "chunked"])
async def test_imports_take_large_bodies(
    client: httpx.AsyncClient, app: FastAPI, tenant_a: TenantWorld, framing: str
) -> None:
    body = _import_rows(tenant_a, 3 * _limit(app))
    feed = Feed(body)
    headers = {**tenant_a.headers(Role.analyst), "Content-Type": "application/json"}
    if framing == "length":
        headers["Content-Length"] = str(len(body))
    r = await client.post(
        f"/api/v1/clients/{tenant_a.client.id}/posts/import", content=feed, headers=headers
    )
    assert r.status_code == 200, r.text[:500]
    assert r.json()["failed"] == 0
    assert feed.sent == len(body)


@pytest.mark.parametrize("framing", ["length", "chunked"])
async def test_imports_over_import_max_bytes_are_refused_at_the_limit(
    client: httpx.AsyncClient, app: FastAPI, tenant_a: TenantWorld, framing: str
) -> None:
    settings = app.state.settings
    original = settings.import_max_bytes
    settings.import_max_bytes = 2 * _limit(app)
    try:
        body = _import_rows(tenant_a, 4 * _limit(app))
        feed = Feed(body)
        headers = {**tenant_a.headers(Role.analyst), "Content-Type": "application/json"}
        if framing == "length":
            headers["Content-Length"] = str(len(body))
        r = await client.post(
            f"/api/v1/clients/{tenant_a.client.id}/metrics/import", content=feed, headers=headers
        )
    finally:
        settings.import_max_bytes = original
    assert_problem(r, 413)
    if framing == "length":
        assert feed.sent == 0
    else:
        # IMPORT_MAX_BYTES, a multipart form's margin, and the chunk that crossed it.
        assert feed.sent <= 2 * _limit(app) + 64 * 1024 + CHUNK


# --- over a real socket ----------------------------------------------------------------


class Connection:
    """A client socket on the event loop. A write that fails (the server closed the
    connection) is remembered, and what the server wrote before closing is still read."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.loop = asyncio.get_running_loop()
        self.buffer = b""
        self.write_failed = False

    @classmethod
    async def open(cls, port: int) -> Connection:
        sock = socket.socket()
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        return cls(sock)

    async def send(self, data: bytes) -> None:
        if not self.write_failed:
            try:
                await self.loop.sock_sendall(self.sock, data)
            except OSError:
                self.write_failed = True

    async def send_body(self, size: int, framing: str) -> None:
        """A request for the login endpoint with a `size`-byte body, sent whole unless
        the server closes the connection first."""
        frame = f"Content-Length: {size}" if framing == "length" else "Transfer-Encoding: chunked"
        await self.send(
            f"POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\n{frame}\r\n\r\n".encode()
        )
        block = b"x" * (256 * 1024)
        for start in range(0, size, len(block)):
            piece = block[: min(len(block), size - start)]
            await self.send(piece if framing == "length" else b"%x\r\n%s\r\n" % (len(piece), piece))
        if framing == "chunked":
            await self.send(b"0\r\n\r\n")

    async def _recv(self) -> bytes:
        try:
            return await asyncio.wait_for(self.loop.sock_recv(self.sock, 65536), 10)
        except ConnectionResetError:
            return b""

    async def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            data = await self._recv()
            assert data, "connection closed before a response"
            self.buffer += data
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", 0))
        while len(self.buffer) < length:
            data = await self._recv()
            assert data, "connection closed in a response"
            self.buffer += data
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(lines[0].split()[1]), headers, body

    async def closed_by_server(self) -> bool:
        return not self.buffer and await self._recv() == b""

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(params=["httptools", "h11"])
async def server(app: FastAPI, request: pytest.FixtureRequest) -> AsyncIterator[int]:
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="off",
        http=request.param,
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve())
    for _ in range(1000):
        if srv.started:
            break
        await asyncio.sleep(0.01)
    port = srv.servers[0].sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        srv.should_exit = True
        await task


def _assert_413(status: int, headers: dict[str, str], body: bytes) -> None:
    assert status == 413
    assert headers["content-type"].startswith("application/problem+json")
    assert json.loads(body)["status"] == 413


async def test_a_body_a_little_over_is_drained_and_the_connection_kept(server: int) -> None:
    """2 MiB with a Content-Length (at most DRAIN_MAX still to come): the server reads the
    rest, drops it, and the same keep-alive connection answers the next request."""
    conn = await Connection.open(server)
    try:
        await conn.send_body(2 * MiB, "length")
        assert not conn.write_failed
        status, headers, body = await conn.response()
        _assert_413(status, headers, body)
        assert headers.get("connection") != "close"
        await conn.send(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
        status, _, body = await conn.response()
        assert (status, json.loads(body)) == (200, {"status": "ok"})
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("size", "framing"), [(40 * MiB, "length"), (40 * MiB, "chunked"), (2 * MiB, "chunked")]
)
async def test_a_body_far_over_is_answered_then_the_connection_closed(
    server: int, size: int, framing: str
) -> None:
    """More than DRAIN_MAX to come, or a chunked body still arriving (its length unknown):
    the 413 is written, then the connection closed (the server does not read what it
    refused); a client still writing can read the 413."""
    conn = await Connection.open(server)
    try:
        await conn.send_body(size, framing)
        status, headers, body = await conn.response()
        _assert_413(status, headers, body)
        assert headers.get("connection") == "close"
        assert await conn.closed_by_server()
    finally:
        conn.close()


async def test_expect_continue_refusal_closes_the_connection(server: int) -> None:
    """A client waiting for 100 Continue never sends the body it announced: the 413 comes
    first and the connection is closed, not left waiting for 40 MiB."""
    conn = await Connection.open(server)
    try:
        await conn.send(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json"
            b"\r\nContent-Length: 2097152\r\nExpect: 100-continue\r\n\r\n"
        )
        status, headers, body = await conn.response()
        _assert_413(status, headers, body)
        assert headers.get("connection") == "close"
        assert await conn.closed_by_server()
    finally:
        conn.close()


async def test_refused_bodies_leave_nothing_behind(server: int) -> None:
    """Five 40 MiB chunked bodies refused: the process's Python memory grows by far less
    than one limit, even with the cycle collector off (serving processes run it rarely:
    GC_THRESHOLDS), so no part of a refused body outlives its request (as it did when the
    refusal was an exception raised through FastAPI: a traceback's frames kept each
    request's first megabyte until a collection)."""

    async def refused() -> None:
        conn = await Connection.open(server)
        try:
            await conn.send_body(40 * MiB, "chunked")
            status, headers, body = await conn.response()
            _assert_413(status, headers, body)
        finally:
            conn.close()

    await refused()  # warm up
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(5):
            await refused()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        gc.enable()
    assert grown < MiB // 2, grown
