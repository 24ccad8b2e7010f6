"""The OpenAPI document is the contract (DESIGN.md section 5; issue 10, defect 10):
schemathesis runs every one of its checks on every operation against a real server
(uvicorn on its own database in the test cluster) and must find nothing: no 5xx, every
status documented, bodies and headers as documented, schema-valid requests accepted and
schema-violating ones refused, 405 with a true `Allow`, nothing readable after DELETE,
authentication enforced, and one tenant's objects invisible to another.

The run: `st run` with every check (examples, coverage, fuzzing and stateful phases),
deterministic generation, `MAX_EXAMPLES` cases per operation, one worker (with several,
hypothesis parses lambdas' source in threads, and CPython 3.11's `ast.parse` is not
thread-safe: "AST constructor recursion depth mismatch"); then `object_level_authorization`
alone with the two tenants as identities. About 70 s in all.

tests/schemathesis.toml holds what no schema can state (rules on stored data, the clock or
the network), each with its reason; the run adds the ids of the objects seeded here as
dictionaries, so half of the ids in generated paths name real objects (the other half
are random: 404), and two tenants as peers for `object_level_authorization`.

To run it by hand against `pixely serve`: `st --config-file tests/schemathesis.toml run
http://127.0.0.1:8000/openapi.json -H "Authorization: Bearer <token>"` (every check but
`object_level_authorization`, which needs two identities).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.migrations import upgrade
from tests.test_migrations import _admin, _with_database

ROOT = Path(__file__).resolve().parents[1]
CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = 20
PASSWORD = "fuzz-password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Tenant:
    name: str
    token: str
    ids: dict[str, list[str]]


def _register(api: httpx.Client, name: str) -> Tenant:
    email = f"{name}@example.com"
    body = {"tenant_name": name, "email": email, "password": PASSWORD, "full_name": name}
    pair = api.post("/api/v1/auth/register", json=body)
    pair.raise_for_status()
    return Tenant(name, pair.json()["access_token"], {})


def _seed(api: httpx.Client, tenant: Tenant) -> None:
    """A client with two accounts, posts, 30 days of follower counts, a forecast, a
    clustering, an analysis run, a queued job and an API key: the objects whose ids the
    generated requests may name."""

    def call(method: str, path: str, **kwargs: Any) -> Any:
        r = api.request(
            method, f"/api/v1{path}", headers={"Authorization": f"Bearer {tenant.token}"}, **kwargs
        )
        assert r.status_code < 300, (method, path, r.status_code, r.text)
        return r.json()

    client = call("POST", "/clients", json={"name": f"{tenant.name} brand", "country": "PE"})
    c = f"/clients/{client['id']}"
    accounts = [
        call("POST", f"{c}/accounts", json={"platform": platform, "handle": f"{tenant.name}_x"})
        for platform in ("instagram", "x")
    ]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    posts = [
        call(
            "POST",
            f"{c}/posts",
            json={
                "account_id": accounts[i % 2]["id"],
                "external_id": f"p{i}",
                "author_handle": f"fan{i}",
                "author_followers": 100 + 37 * i,
                "text": f"Me encanta la app {i} #banco" if i % 3 else f"Pésimo servicio {i}",
                "published_at": (start + timedelta(hours=7 * i)).isoformat(),
                "likes": (i * 13) % 40,
                "comments": i % 7,
                "shares": (i * 5) % 11,
                "views": 200 + 31 * i,
            },
        )
        for i in range(12)
    ]
    metrics = [
        call(
            "POST",
            f"{c}/metrics",
            json={
                "account_id": accounts[0]["id"],
                "captured_at": (start + timedelta(days=d)).isoformat(),
                "followers": 1000 + 12 * d + (d % 7) * 3,
            },
        )
        for d in range(30)
    ]
    forecast = call("POST", f"{c}/accounts/{accounts[0]['id']}/forecasts", json={})
    clusters = call("POST", f"{c}/post-clusters", json={"k": 2})
    window = {"since": "2025-12-01T00:00:00Z", "until": "2026-03-01T00:00:00Z"}
    run = call("POST", f"{c}/analyses/q7", json=window)
    job = call("POST", f"{c}/analyses", json={**window, "questions": ["q1"]})
    key = call("POST", "/tenant/api-keys", json={"name": "etl", "role": "analyst"})
    me = call("GET", "/auth/me")
    agent = call(
        "POST",
        "/agents",
        json={
            "name": "Onboarding",
            "slug": "onboarding",
            "kind": "staged",
            "system_prompt": "Usted da la bienvenida.",
            "stages": [
                {
                    "name": "Datos",
                    "output_schema": {
                        "type": "object",
                        "properties": {"nombre": {"type": "string", "description": "Nombre"}},
                        "required": ["nombre"],
                    },
                }
            ],
        },
    )
    tenant.ids = {
        "client_id": [client["id"]],
        "account_id": [a["id"] for a in accounts],
        "post_id": [posts[0]["id"]],
        "metric_id": [metrics[0]["id"]],
        "version_id": [forecast["id"]],
        "model_id": [clusters["id"]],
        "run_id": [run["id"]],
        "job_id": [job["job_id"]],
        "key_id": [key["id"]],
        "user_id": [me["id"]],
        "agent_id": [agent["id"]],
        "version": [1],
    }


def _run_config(work: Path, tenants: list[Tenant]) -> Path:
    """tests/schemathesis.toml, plus the ids of the first tenant's objects and both tenants
    as identities (used by `object_level_authorization` only: see `_schemathesis`)."""
    owner = tenants[0]
    identities = work / "identities.json"
    bearer = [
        {"name": t.name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {t.token}"}]}
        for t in tenants
    ]
    identities.write_text(json.dumps({"auth": bearer}))
    lines = [CONFIG.read_text(), "[dictionaries]"]
    lines += [f"{name} = {{ values = {json.dumps(ids)} }}" for name, ids in owner.ids.items()]
    # Real ids for reads and writes, not for DELETE: a deleted client would leave nothing
    # to read for the rest of the run (DELETE is reached with the objects it creates).
    bindings = ", ".join(
        f'"path.{name}" = {{ dictionary = "{name}", probability = 0.5 }}' for name in owner.ids
    )
    lines += [
        "",
        "[[operations]]",
        'include-method-regex = "^(GET|POST|PATCH|PUT)$"',
        f"parameters = {{ {bindings} }}",
    ]
    path = work / "schemathesis.toml"
    path.write_text("\n".join(lines) + "\n")
    peers = ["", "[auth.wfc]", f"path = {json.dumps(str(identities))}"]
    peers.append(f"peers = {json.dumps([t.name for t in tenants])}")
    (work / "peers.toml").write_text(path.read_text() + "\n".join(peers) + "\n")
    return path


def _schemathesis(config: Path, base: str, *options: str) -> str:
    """`st run` on the live server's document with `options`; its report if it failed."""
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "run",
        f"{base}/openapi.json",
        "--generation-deterministic",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
        *options,
    ]
    done = subprocess.run(
        command, cwd=config.parent, capture_output=True, text=True, timeout=600, check=False
    )
    report = done.stdout + done.stderr
    print(report[report.rfind("SUMMARY") - 40 :])  # shown with -s, and on a failure
    return "" if done.returncode == 0 else report[-20_000:]


@pytest.fixture(scope="module")
def live_server(postgres_url: str) -> Iterator[tuple[str, list[Tenant]]]:
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
        # Jobs stay queued (their rows are read, not worked), and no model is ever called.
        "RUN_WORKER_IN_PROCESS": "false",
        "OPENAI_API_KEY": "",
        "OPENAI_BASE_URL": "",
        "AI_ENDPOINT_ALLOWED_HOSTS": "[]",
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
        with httpx.Client(base_url=base, timeout=60) as api:
            tenants = [_register(api, n) for n in ("fuzz-a", "fuzz-b")]
            for tenant in tenants:
                _seed(api, tenant)
        yield base, tenants
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        asyncio.run(_admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_the_openapi_document_is_the_contract(
    live_server: tuple[str, list[Tenant]], tmp_path: Path
) -> None:
    base, tenants = live_server
    config = _run_config(tmp_path, tenants)
    failures = _schemathesis(
        config,
        base,
        # Every check runs: schemathesis turns them all on unless told otherwise (and
        # `--checks all` here would also overrule the exceptions in the config file).
        # `object_level_authorization` runs on its own, below: it needs the two tenants as
        # schemathesis identities, whose headers schemathesis then puts back on
        # `ignored_auth`'s requests without credentials (answered 200, they would fail).
        "--exclude-checks",
        "object_level_authorization",
        "--header",
        f"Authorization: Bearer {tenants[0].token}",
    )
    assert not failures, failures


def test_no_tenant_reads_another_tenants_objects(
    live_server: tuple[str, list[Tenant]], tmp_path: Path
) -> None:
    """`object_level_authorization`: each GET one tenant answered is sent again as the
    other, with the same ids; the other must not get the object (a 404). Seen to fail
    when the one-client read lost its tenant filter."""
    base, tenants = live_server
    config = _run_config(tmp_path, tenants)
    failures = _schemathesis(
        config.with_name("peers.toml"),
        base,
        "--checks",
        "object_level_authorization",
        "--include-method",
        "GET",
    )
    assert not failures, failures
