"""Whole-set analyses as durable procrastinate jobs, on a database of their own (the
worker uses its own connections, so this data is committed, not rolled back).

Progress moves, one failing question does not lose the others, a job survives a worker
restart, and with a 1 s model the ten questions take the critical path, not 10 s.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.analyses.results import RESULT_MODELS
from app.core.config import Settings
from app.core.db import Database
from app.demo.generator import DEMO_CLIENTS, generate_posts
from app.jobs import run_worker
from app.main import create_app
from tests.ai.fake_openai import BASE_URL, FakeOpenAI, FakeRequest, question_of
from tests.test_migrations import migrated_database


@pytest.fixture(scope="module")
async def jobs_env(postgres_url: str) -> AsyncIterator[tuple[Any, httpx.AsyncClient, str]]:
    async with migrated_database(postgres_url, "jobs") as url:
        settings = Settings(
            environment="test", seed_demo=False, run_worker_in_process=False, _env_file=None
        )  # type: ignore[call-arg]
        db = Database(url, pool_size=10)
        app = create_app(settings, db=db)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                token = (
                    await client.post(
                        "/api/v1/auth/register",
                        json={
                            "tenant_name": "Jobs",
                            "email": "jobs@example.com",
                            "password": "jobs-password",
                            "full_name": "J",
                        },
                    )
                ).json()["access_token"]
                headers = {"Authorization": f"Bearer {token}"}
                client.headers.update(headers)
                yield app, client, url
        await db.dispose()


async def _client_with_posts(client: httpx.AsyncClient, n: int = 300) -> str:
    spec = DEMO_CLIENTS[1]
    r = await client.post("/api/v1/clients", json={"name": f"Brand {uuid.uuid4().hex[:6]}"})
    client_id = r.json()["id"]
    handles = {}
    for acc in spec.accounts:
        await client.post(
            f"/api/v1/clients/{client_id}/accounts",
            json={"platform": acc.platform, "handle": acc.handle},
        )
        handles[acc.platform] = acc.handle
    posts = generate_posts(spec, n_posts=n, end=datetime(2026, 9, 1, tzinfo=UTC), seed=5)
    rows = [
        {
            "platform": p.platform,
            "account_handle": p.account_handle,
            "external_id": p.external_id,
            "author_handle": p.author_handle,
            "author_followers": p.author_followers,
            "text": p.text,
            "published_at": p.published_at.isoformat(),
            "likes": p.likes,
            "comments": p.comments,
            "shares": p.shares,
            "views": p.views,
            "reach": p.reach,
            "content_type": p.content_type,
            "is_own": p.is_own,
        }
        for p in posts
    ]
    r = await client.post(f"/api/v1/clients/{client_id}/posts/import", json=rows)
    assert r.status_code == 200, r.text
    return client_id


WINDOW = {"since": "2026-01-01T00:00:00Z", "until": "2026-12-31T00:00:00Z"}


async def _job(client: httpx.AsyncClient, client_id: str, **body: Any) -> str:
    r = await client.post(f"/api/v1/clients/{client_id}/analyses", json={**WINDOW, **body})
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/api/v1/jobs/{r.json()['job_id']}"
    assert r.json()["status"] == "queued"
    return str(r.json()["job_id"])


async def _status(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    return (await client.get(f"/api/v1/jobs/{job_id}")).json()  # type: ignore[no-any-return]


async def test_job_runs_all_ten_with_progress(jobs_env: Any) -> None:
    app, client, _ = jobs_env
    client_id = await _client_with_posts(client)
    job_id = await _job(client, client_id)
    seen: list[int] = []
    worker = asyncio.create_task(run_worker(app.state.jobs, concurrency=2, wait=False))
    while not worker.done():
        seen.append((await _status(client, job_id))["progress"])
        await asyncio.sleep(0.05)
    await worker
    status = await _status(client, job_id)
    assert status["status"] == "succeeded", status["error"]
    assert status["progress"] == 100
    assert sorted(r["question"] for r in status["runs"]) == sorted(f"q{i}" for i in range(1, 11))
    assert all(r["status"] == "succeeded" for r in status["runs"])
    assert any(0 < p < 100 for p in seen), seen  # progress moved through the job
    assert seen == sorted(seen)
    insights = (await client.get(f"/api/v1/clients/{client_id}/insights")).json()
    assert insights["missing"] == []


def _answer(request: FakeRequest) -> str:
    key = question_of(request) or "q1"
    example = RESULT_MODELS[key].model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
    return json.dumps(example)


async def _use_openai(app: Any, client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app.state.worker_http_client = fake.http_client()
    from app.analyses import tasks

    assert tasks._context is not None
    tasks._context.http_client = fake.http_client()
    r = await client.put(
        "/api/v1/tenant/ai-settings",
        json={"engine": "openai", "model": "fake", "base_url": BASE_URL, "api_key": "sk-fake"},
    )
    assert r.status_code == 200, r.text


async def _use_local(client: httpx.AsyncClient) -> None:
    await client.put("/api/v1/tenant/ai-settings", json={"engine": "local"})


async def test_one_failing_question_keeps_the_others(jobs_env: Any) -> None:
    app, client, _ = jobs_env
    client_id = await _client_with_posts(client, 60)

    def answer(request: FakeRequest) -> str:
        return "not json at all" if question_of(request) == "q3" else _answer(request)

    await _use_openai(app, client, FakeOpenAI([answer]))
    try:
        job_id = await _job(client, client_id, questions=["q1", "topics", "q7", "q10"])
        await run_worker(app.state.jobs, concurrency=2, wait=False)
    finally:
        await _use_local(client)
    status = await _status(client, job_id)
    by_question = {r["question"]: r for r in status["runs"]}
    assert status["status"] == "failed"
    assert "q3" in status["error"]
    assert by_question["q3"]["status"] == "failed"
    assert {by_question[q]["status"] for q in ("q1", "q7", "q10")} == {"succeeded"}
    assert status["progress"] == 100


async def test_ten_questions_take_the_critical_path(jobs_env: Any) -> None:
    """Each model call takes 1 s: Q1-Q8 together, then Q9 and Q10 together (~2 s)."""
    app, client, _ = jobs_env
    client_id = await _client_with_posts(client, 60)
    fake = FakeOpenAI([_answer], delay=1.0)
    await _use_openai(app, client, fake)
    try:
        job_id = await _job(client, client_id, force=True)
        started = time.perf_counter()
        await run_worker(app.state.jobs, concurrency=1, wait=False)
        elapsed = time.perf_counter() - started
    finally:
        await _use_local(client)
    status = await _status(client, job_id)
    assert status["status"] == "succeeded", status["error"]
    assert fake.calls == 10
    assert fake.max_concurrent == 8
    assert elapsed < 3.5, elapsed


async def test_job_survives_a_worker_restart(jobs_env: Any) -> None:
    app, client, _ = jobs_env
    client_id = await _client_with_posts(client, 60)
    fake = FakeOpenAI([_answer], delay=2.0)  # a wide window to stop the worker in
    await _use_openai(app, client, fake)
    try:
        job_id = await _job(client, client_id, force=True)
        first = asyncio.create_task(
            run_worker(app.state.jobs, concurrency=1, wait=True, name="first", graceful_timeout=0.1)
        )
        for _ in range(200):  # until the first level is done and the second started
            if (await _status(client, job_id))["progress"] >= 80:
                break
            await asyncio.sleep(0.05)
        first.cancel()  # the worker stops mid-job (a deploy, a crash)
        with pytest.raises(asyncio.CancelledError):
            await first
        # The next worker picks the job up again (bounded: 20 short passes).
        for _ in range(20):
            await run_worker(app.state.jobs, concurrency=1, wait=False, name="second")
            if (await _status(client, job_id))["status"] in ("succeeded", "failed"):
                break
            await asyncio.sleep(0.5)
    finally:
        await _use_local(client)
    status = await _status(client, job_id)
    assert status["status"] == "succeeded", status
    succeeded = [r["question"] for r in status["runs"] if r["status"] == "succeeded"]
    assert sorted(succeeded) == sorted(f"q{i}" for i in range(1, 11))  # each once


async def test_a_restarted_job_resumes_where_it_stopped(jobs_env: Any) -> None:
    """What a worker that died mid-job leaves (Q1-Q8 answered, Q9 still 'running'):
    the job, run again, keeps Q1-Q8, closes the stale run and answers only Q9 and Q10."""
    from app.analyses import service
    from app.analyses.models import AnalysisRun
    from app.analyses.schemas import JobRequest
    from app.core.auth import AuthContext
    from app.core.enums import Role

    app, client, _ = jobs_env
    client_id = await _client_with_posts(client, 60)
    me = (await client.get("/api/v1/auth/me")).json()
    auth = AuthContext(tenant_id=uuid.UUID(me["tenant"]["id"]), role=Role.analyst)
    db = app.state.db
    job = await service.create_job(
        db, app.state.settings, auth, uuid.UUID(client_id), JobRequest(**WINDOW)
    )
    async with db.session() as session, session.begin():
        for key in [f"q{i}" for i in range(1, 10)]:
            session.add(
                AnalysisRun(
                    tenant_id=auth.tenant_id,
                    client_id=uuid.UUID(client_id),
                    job_id=job.id,
                    question=key,
                    status="running" if key == "q9" else "succeeded",
                    engine="local",
                    model="local-1",
                    prompt_version="local",
                    input_fingerprint="f" * 64,
                    params={},
                    usage={},
                    posts_analyzed=60,
                    result=None if key == "q9" else {},
                )
            )
        stored = await session.get(type(job), job.id)
        assert stored is not None
        stored.status = "running"
    await service.work_job(db, app.state.settings, auth, job.id)
    status = await _status(client, str(job.id))
    assert status["status"] == "succeeded", status["error"]
    runs = status["runs"]
    by_question: dict[str, list[str]] = {}
    for run in runs:
        by_question.setdefault(run["question"], []).append(run["status"])
    assert all(by_question[f"q{i}"] == ["succeeded"] for i in range(1, 9))  # not rerun
    assert sorted(by_question["q9"]) == ["failed", "succeeded"]  # stale run closed, redone
    assert by_question["q10"] == ["succeeded"]
    interrupted = [r for r in runs if r["status"] == "failed"]
    assert "Interrupted" in (interrupted[0]["error"] or "")


async def test_a_job_of_a_dead_worker_is_picked_up_again(jobs_env: Any) -> None:
    """A worker killed mid-job (no graceful stop) leaves its job 'doing' with a heartbeat
    that stops; the next worker to start finds it stalled and runs it again."""
    from sqlalchemy import text

    from app.jobs import STALLED_AFTER_SECONDS

    app, client, _ = jobs_env
    client_id = await _client_with_posts(client, 60)
    job_id = await _job(client, client_id)
    async with app.state.db.engine.begin() as conn:
        dead = (
            await conn.execute(
                text(
                    "INSERT INTO procrastinate_workers (last_heartbeat) "
                    "VALUES (now() - make_interval(secs => :age)) RETURNING id"
                ),
                {"age": STALLED_AFTER_SECONDS * 4},
            )
        ).scalar_one()
        taken = await conn.execute(
            text(
                "UPDATE procrastinate_jobs SET status = 'doing', worker_id = :worker "
                "WHERE status = 'todo' AND args->>'job_id' = :job RETURNING id"
            ),
            {"worker": dead, "job": job_id},
        )
        assert taken.scalar_one() is not None
    # Nothing is 'todo' now: only the stalled-job recovery can make this worker run it.
    await run_worker(app.state.jobs, concurrency=1, wait=False, name="after-crash")
    status = await _status(client, job_id)
    assert status["status"] == "succeeded", status
    async with app.state.db.engine.connect() as conn:
        final = await conn.execute(
            text("SELECT status::text FROM procrastinate_jobs WHERE args->>'job_id' = :job"),
            {"job": job_id},
        )
        assert [row[0] for row in final] == ["succeeded"]
