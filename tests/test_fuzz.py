"""No input produces a 500: schemathesis generates requests from the OpenAPI schema and
sends them to a real server (uvicorn on its own database in the test cluster)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from app.core.config import Settings
from app.core.migrations import upgrade
from app.main import create_app
from tests.test_migrations import _admin, _with_database

ROOT = Path(__file__).resolve().parents[1]
schema = schemathesis.openapi.from_dict(
    create_app(Settings(environment="test", _env_file=None)).openapi()  # type: ignore[call-arg]
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(postgres_url: str) -> Iterator[tuple[str, dict[str, str]]]:
    import asyncio

    name = f"fuzz_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(postgres_url, f'CREATE DATABASE "{name}"'))
    url = _with_database(postgres_url, name)
    upgrade(url)
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "LOG_LEVEL": "ERROR",
        "SEED_DEMO": "false",
        "ENVIRONMENT": "test",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "error",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        pair = httpx.post(
            f"{base}/api/v1/auth/register",
            json={
                "tenant_name": "Fuzz",
                "email": "fuzz@example.com",
                "password": "fuzz-password",
                "full_name": "Fuzz",
            },
        ).json()
        headers = {"Authorization": f"Bearer {pair['access_token']}"}
        httpx.post(f"{base}/api/v1/clients", json={"name": "Fuzz brand"}, headers=headers)
        yield base, headers
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        asyncio.run(_admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_input_is_a_server_error(
    case: schemathesis.Case, live_server: tuple[str, dict[str, str]]
) -> None:
    base, headers = live_server
    case.call_and_validate(base_url=base, headers=headers, checks=[not_a_server_error], timeout=30)
