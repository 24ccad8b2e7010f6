"""A database outage, on an embedded PostgreSQL of this module's own (stopped, killed and
restarted here without disturbing the other tests).

While the database cannot be reached every request is answered, with 503 problem+json
and Retry-After: on the bare hot reads (`Database.read_connection`: one client, the posts
list), on ORM sessions, in authentication's own short connection and in the login flow's
own transaction; never a 500, never an exception that escapes the app (under uvicorn: a
dropped connection). Pooled connections the server closed are discarded, and a read whose
connection dies under it is run once more, so a killed backend costs no failed GET. A
write during an outage is refused whole, and every acknowledged write survives a restart.

httpx's ASGI transport re-raises whatever escapes the app's handlers: such a request
fails the test as it would have dropped the connection of a real client.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import pytest

from app.core.auth import active_users
from app.core.config import Settings
from app.core.db import Database
from app.core.embedded import start_embedded, to_async_url, to_libpq_url
from app.core.migrations import upgrade
from app.main import create_app

PASSWORD = "outage-password"


@dataclass
class Outage:
    server: Any
    url: str
    client: httpx.AsyncClient
    bearer: dict[str, str]
    api_key: dict[str, str]
    client_id: str
    db: Database

    @property
    def one(self) -> str:
        return f"/api/v1/clients/{self.client_id}"

    @property
    def posts(self) -> str:
        return f"{self.one}/posts?limit=5"


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def stop_server(server: Any, sig: int = signal.SIGINT) -> None:
    """SIGINT: PostgreSQL's fast shutdown (clients disconnected, data flushed)."""
    pid = server.get_pid()
    os.kill(pid, sig)
    deadline = time.monotonic() + 20
    while not _gone(pid):
        assert time.monotonic() < deadline, "PostgreSQL did not stop"
        time.sleep(0.05)


@pytest.fixture(scope="module")
async def own_server() -> AsyncIterator[tuple[Any, str]]:
    folder = Path(tempfile.mkdtemp(prefix="pixely-outage-"))
    server = await asyncio.to_thread(start_embedded, folder / "pgdata", cleanup_mode="delete")
    url = to_async_url(server.get_uri())
    try:
        await asyncio.to_thread(upgrade, url)
        yield server, url
    finally:
        await asyncio.to_thread(server.ensure_postgres_running)  # so that it can be stopped
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
async def outage(own_server: tuple[Any, str]) -> AsyncIterator[Outage]:
    server, url = own_server
    settings = Settings(
        environment="test",
        seed_demo=False,
        run_worker_in_process=False,
        # A token's user stays trusted: bearer reads then reach their handler's own
        # connection without asking the database first.
        auth_recheck_seconds=60,
        _env_file=None,
    )  # type: ignore[call-arg]
    db = Database(url, pool_size=4, timeout=5)
    app = create_app(settings, db=db)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as c:
            r = await c.post(
                "/api/v1/auth/register",
                json={
                    "tenant_name": "Outage",
                    "email": "outage@example.com",
                    "password": PASSWORD,
                    "full_name": "O",
                },
            )
            assert r.status_code == 201, r.text
            bearer = {"Authorization": f"Bearer {r.json()['access_token']}"}
            client_id = (
                await c.post("/api/v1/clients", json={"name": "Acme"}, headers=bearer)
            ).json()["id"]
            account = await c.post(
                f"/api/v1/clients/{client_id}/accounts",
                json={"platform": "x", "handle": "acme"},
                headers=bearer,
            )
            post = await c.post(
                f"/api/v1/clients/{client_id}/posts",
                json={
                    "account_id": account.json()["id"],
                    "external_id": "p1",
                    "author_handle": "acme",
                    "text": "hola",
                    "published_at": "2026-06-01T12:00:00Z",
                },
                headers=bearer,
            )
            assert post.status_code == 201, post.text
            key = await c.post(
                "/api/v1/tenant/api-keys", json={"name": "k", "role": "analyst"}, headers=bearer
            )
            api_key = {"X-API-Key": key.json()["secret"]}
            yield Outage(server, url, c, bearer, api_key, client_id, db)
    await db.dispose()


def assert_unavailable(r: httpx.Response, what: object) -> None:
    assert r.status_code == 503, (what, r.status_code, r.text)
    assert r.headers["content-type"] == "application/problem+json", what
    assert int(r.headers["retry-after"]) >= 1, what
    body = r.json()
    assert body["status"] == 503, body
    assert body["type"].endswith("/service-unavailable"), body
    assert "sql" not in body["detail"].lower()
    assert "asyncpg" not in body["detail"].lower()


async def _client_names(url: str) -> list[str]:
    conn = await asyncpg.connect(to_libpq_url(url))
    try:
        return [r[0] for r in await conn.fetch("SELECT name FROM client")]
    finally:
        await conn.close()


async def _audit_count(url: str) -> int:
    conn = await asyncpg.connect(to_libpq_url(url))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM audit_event"))
    finally:
        await conn.close()


async def _kill_backends(url: str) -> int:
    """pg_terminate_backend of every other connection to the database (the app's pool)."""
    conn = await asyncpg.connect(to_libpq_url(url))
    try:
        return int(
            await conn.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'"
            )
        )
    finally:
        await conn.close()


@pytest.fixture(autouse=True)
def _nothing_held(outage: Outage) -> Any:
    """Every test ends with every connection and permit back in the pool."""
    yield
    assert outage.db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert not outage.db.semaphore.locked()


async def test_database_down_answers_503_with_retry_after_then_200(outage: Outage) -> None:
    c, bearer, api_key = outage.client, outage.bearer, outage.api_key
    assert (await c.get(outage.one, headers=bearer)).status_code == 200  # user trusted now
    names = await _client_names(outage.url)
    audits = await _audit_count(outage.url)
    login = {"email": "outage@example.com", "password": PASSWORD}
    await asyncio.to_thread(stop_server, outage.server)
    try:
        probes: list[tuple[str, str, dict[str, str], Any]] = [
            ("GET", outage.one, bearer, None),  # bare hot read
            ("GET", outage.posts, bearer, None),  # the posts list's reader
            ("GET", "/api/v1/clients", bearer, None),  # an ORM session
            ("GET", outage.one, api_key, None),  # authentication's own connection
            ("GET", "/api/v1/auth/me", api_key, None),  # ... on the session's connection
            ("POST", "/api/v1/clients", bearer, {"name": "During the outage"}),
            ("POST", "/api/v1/clients", api_key, {"name": "During the outage 2"}),
            ("POST", "/api/v1/auth/login", {}, login),  # the login flow's own transaction
            ("GET", "/ready", {}, None),
        ]
        for method, path, headers, body in probes:
            r = await c.request(method, path, headers=headers, json=body)
            assert_unavailable(r, (method, path, headers.keys()))
        active_users.clear()  # a bearer token's user must now be read: not reachable
        assert_unavailable(await c.get(outage.one, headers=bearer), "bearer, user not cached")
    finally:
        await asyncio.to_thread(outage.server.ensure_postgres_running)

    # The writes refused during the outage left nothing.
    assert await _client_names(outage.url) == names
    assert await _audit_count(outage.url) == audits
    # The connections the shutdown closed are discarded: the first requests succeed.
    for headers in (bearer, api_key):
        assert (await c.get(outage.one, headers=headers)).status_code == 200
        assert (await c.get(outage.posts, headers=headers)).json()["total"] == 1
    assert (await c.get("/api/v1/clients", headers=bearer)).status_code == 200
    assert (await c.get("/ready")).status_code == 200
    assert (await c.post("/api/v1/auth/login", json=login)).status_code == 200
    r = await c.post("/api/v1/clients", json={"name": "After the outage"}, headers=bearer)
    assert r.status_code == 201, r.text
    assert sorted(await _client_names(outage.url)) == sorted([*names, "After the outage"])


async def test_killed_backends_cost_no_failed_get(outage: Outage) -> None:
    c, bearer, api_key = outage.client, outage.bearer, outage.api_key
    reads = [
        (outage.one, bearer),
        (outage.posts, bearer),
        ("/api/v1/clients", bearer),
        (outage.one, api_key),
        (outage.posts, api_key),
    ]
    for pause in (0.0, 0.3, 0.0):
        # Fill the pool: every one of its connections is then killed.
        warm = await asyncio.gather(*(c.get(outage.posts, headers=bearer) for _ in range(8)))
        assert {r.status_code for r in warm} == {200}
        assert await _kill_backends(outage.url) >= 1
        # At once (the client may not have seen the connections close yet) or a moment
        # later (it has): either way no read fails.
        await asyncio.sleep(pause)
        answers = await asyncio.gather(*(c.get(path, headers=h) for path, h in reads))
        assert [r.status_code for r in answers] == [200] * len(reads), [r.text for r in answers]
        # And later ones neither: nothing dead stays in the pool.
        for path, headers in reads:
            assert (await c.get(path, headers=headers)).status_code == 200


async def _lock_waiter(admin: asyncpg.Connection, table: str) -> int:
    """The pid of the backend waiting for the admin's lock on `table` (by pg_locks: a
    connection just made may not show its database in pg_stat_activity yet)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pid = await admin.fetchval(
            "SELECT pid FROM pg_locks WHERE NOT granted AND relation = $1::regclass LIMIT 1",
            table,
        )
        if pid is not None:
            return int(pid)
        await asyncio.sleep(0.02)
    raise AssertionError("no request waited for the lock")


async def _killed_while_waiting(
    outage: Outage, table: str, method: str, path: str, headers: dict[str, str], **kw: Any
) -> httpx.Response:
    """Send a request that waits on a lock of `table`, kill its backend, release the lock."""
    admin = await asyncpg.connect(to_libpq_url(outage.url))
    try:
        tx = admin.transaction()
        await tx.start()
        await admin.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        request = asyncio.create_task(outage.client.request(method, path, headers=headers, **kw))
        try:
            waiter = await _lock_waiter(admin, table)
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", waiter)
        finally:
            await tx.rollback()
        return await asyncio.wait_for(request, timeout=15)
    finally:
        await admin.close()


@pytest.mark.parametrize(
    ("table", "path", "key"),
    [
        ("client", "one", "bearer"),  # bare hot read
        ("post", "posts", "bearer"),  # the posts list's reader
        ("client", "/api/v1/clients", "bearer"),  # an ORM session
        ("api_key", "one", "api_key"),  # authentication's own connection
    ],
)
async def test_a_read_whose_backend_dies_mid_query_is_run_again(
    outage: Outage, table: str, path: str, key: str
) -> None:
    url = {"one": outage.one, "posts": outage.posts}.get(path, path)
    headers = outage.bearer if key == "bearer" else outage.api_key
    r = await _killed_while_waiting(outage, table, "GET", url, headers)
    assert r.status_code == 200, r.text


async def test_a_write_whose_backend_dies_is_503_and_leaves_nothing(outage: Outage) -> None:
    names = await _client_names(outage.url)
    audits = await _audit_count(outage.url)
    # The client row is inserted, then the audit event waits for its table: killed there.
    r = await _killed_while_waiting(
        outage, "audit_event", "POST", "/api/v1/clients", outage.bearer, json={"name": "Half"}
    )
    assert_unavailable(r, "write killed mid-transaction")  # not retried, not a 500
    assert await _client_names(outage.url) == names
    assert await _audit_count(outage.url) == audits
    # Not retried by the server: the client decides (it is not stored, so it may).
    r = await outage.client.post("/api/v1/clients", json={"name": "Half"}, headers=outage.bearer)
    assert r.status_code == 201


async def test_requests_through_a_restart_get_200_or_503_and_no_acknowledged_write_is_lost(
    outage: Outage,
) -> None:
    c, bearer = outage.client, outage.bearer
    statuses: list[int] = []
    acknowledged: list[str] = []
    refused: list[str] = []
    stop = asyncio.Event()

    async def load(worker: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            name = f"load-{worker}-{n}-{uuid.uuid4().hex[:6]}"
            for method, path, body in (
                ("GET", outage.one, None),
                ("GET", outage.posts, None),
                ("POST", "/api/v1/clients", {"name": name}),
            ):
                r = await c.request(method, path, headers=bearer, json=body)
                statuses.append(r.status_code)
                if r.status_code == 503:
                    assert "retry-after" in r.headers
                if method == "POST":
                    (acknowledged if r.status_code == 201 else refused).append(name)
            await asyncio.sleep(0.005)

    workers = [asyncio.create_task(load(i)) for i in range(4)]
    try:
        await asyncio.sleep(0.5)
        await asyncio.to_thread(stop_server, outage.server)
        await asyncio.sleep(0.5)
        down = len(statuses)
        await asyncio.to_thread(outage.server.ensure_postgres_running)
        # Load goes on until the requests since the restart include plenty of successes.
        for _ in range(200):  # at most 20 s
            if statuses[down:].count(200) >= 30:
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.gather(*workers)

    assert set(statuses) <= {200, 201, 503}, sorted(set(statuses))
    assert 503 in statuses
    assert statuses[-10:].count(503) == 0  # recovered
    stored = set(await _client_names(outage.url))
    assert set(acknowledged) <= stored  # no acknowledged write lost
    assert {n for n in stored if n.startswith("load-")} <= set(acknowledged) | set(refused)
