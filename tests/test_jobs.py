"""Whole-set analyses as durable procrastinate jobs, on a database of their own (the
worker uses its own connections, so this data is committed, not rolled back).

Progress moves, one failing question does not lose the others, a job survives a worker
restart, and with a 1 s model the ten questions take the critical path, not 10 s. A job's
row, its enqueue and its Idempotency-Key commit together, and its runs are recorded as
the work of whoever created it.
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

from app.analyses import service
from app.analyses.models import AnalysisJob, AnalysisRun
from app.analyses.registry import BY_KEY, KEYS
from app.core.config import Settings
from app.core.db import Database
from app.core.jobs import run_worker
from app.demo.generator import DEMO_CLIENTS, generate_posts
from app.main import create_app
from tests.ai.fake_openai import BASE_URL, FakeOpenAI, FakeRequest, question_of
from tests.test_migrations import migrated_database


@pytest.fixture(scope="module")
async def jobs_env(postgres_url: str) -> AsyncIterator[tuple[Any, httpx.AsyncClient, str]]:
    async with migrated_database(postgres_url, "jobs") as url:
        settings = Settings(
            environment="test",
            seed_demo=False,
            run_worker_in_process=False,
            ai_endpoint_allowed_hosts=["fake-openai.test"],
            _env_file=None,
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


async def test_job_runs_all_ten_with_progress(
    jobs_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, client, _ = jobs_env
    client_id = await _client_with_posts(client)
    job_id = await _job(client, client_id)
    written: list[int] = []  # every progress the job stored, in order
    set_job = service._set_job

    async def recording(*args: Any, **values: Any) -> None:
        if "progress" in values:
            written.append(values["progress"])
        await set_job(*args, **values)

    monkeypatch.setattr(service, "_set_job", recording)
    seen: list[int] = []  # what a client polling the job saw
    worker = asyncio.create_task(run_worker(app.state.jobs, concurrency=2, wait=False))
    while not worker.done():
        seen.append((await _status(client, job_id))["progress"])
        await asyncio.sleep(0.05)
    await worker
    status = await _status(client, job_id)
    assert status["status"] == "succeeded", status["error"]
    assert status["progress"] == 100
    assert sorted(r["question"] for r in status["runs"]) == sorted(KEYS)
    assert all(r["status"] == "succeeded" for r in status["runs"])
    # One step per question answered (then the final 100), never going back.
    assert written == [0, *(round(100 * i / len(KEYS)) for i in range(1, len(KEYS) + 1)), 100]
    assert seen == sorted(seen)
    insights = (await client.get(f"/api/v1/clients/{client_id}/insights")).json()
    assert insights["missing"] == []


def _answer(request: FakeRequest) -> str:
    key = question_of(request) or "q1"
    example = BY_KEY[key].result.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
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
    """Each model call takes 1 s: the questions that read no other's together (Q1-Q8 and
    Q11), then Q9 and Q10 together (~2 s)."""
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
    assert fake.calls == len(KEYS)
    assert fake.max_concurrent == len(KEYS) - 2
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
    assert sorted(succeeded) == sorted(KEYS)  # each once


async def test_a_restarted_job_resumes_where_it_stopped(jobs_env: Any) -> None:
    """What a worker that died mid-job leaves (Q1-Q8 answered, Q9 still 'running'):
    the job, run again, keeps Q1-Q8, closes the stale run and answers only Q9 and Q10."""
    app, client, _ = jobs_env
    client_id = await _client_with_posts(client, 60)
    job_id = uuid.UUID(await _job(client, client_id))
    db = app.state.db
    async with db.session() as session, session.begin():
        job = await session.get(AnalysisJob, job_id)
        assert job is not None
        for key in KEYS[:9]:
            session.add(
                AnalysisRun(
                    tenant_id=job.tenant_id,
                    client_id=uuid.UUID(client_id),
                    job_id=job_id,
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
        job.status = "running"
    await service.work_job(db, app.state.settings, job_id)
    status = await _status(client, str(job_id))
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
    await run_worker(app.state.jobs, concurrency=1, wait=False)  # its queue entry: a no-op
    assert (await _status(client, str(job_id)))["runs"] == runs


async def _count(app: Any, sql: str, **params: Any) -> int:
    from sqlalchemy import text

    async with app.state.db.engine.connect() as conn:
        return int((await conn.execute(text(sql), params)).scalar_one())


async def test_concurrent_retries_with_one_key_create_one_job(jobs_env: Any) -> None:
    app, client, _ = jobs_env
    client_id = await _client_with_posts(client, 20)
    url = f"/api/v1/clients/{client_id}/analyses"
    headers = {"Idempotency-Key": f"job-{uuid.uuid4()}"}
    answers = await asyncio.gather(
        *(client.post(url, json=WINDOW, headers=headers) for _ in range(6))
    )
    assert [a.status_code for a in answers] == [202] * 6
    assert len({a.json()["job_id"] for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 5
    job_id = answers[0].json()["job_id"]
    jobs = "SELECT count(*) FROM analysis_job WHERE client_id = CAST(:c AS uuid)"
    assert await _count(app, jobs, c=client_id) == 1
    queued = "SELECT count(*) FROM procrastinate_jobs WHERE args->>'job_id' = :j"
    assert await _count(app, queued, j=job_id) == 1
    other = await client.post(url, json={**WINDOW, "force": True}, headers=headers)
    assert other.status_code == 409  # the same key with another body


async def test_a_failing_enqueue_leaves_no_job(
    jobs_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core import jobs

    app, client, _ = jobs_env
    client_id = await _client_with_posts(client, 10)

    async def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("the queue is unreachable")

    monkeypatch.setattr(jobs, "defer", broken)
    url = f"/api/v1/clients/{client_id}/analyses"
    headers = {"Idempotency-Key": f"job-{uuid.uuid4()}"}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://t", headers=client.headers
    ) as raw:
        failed = await raw.post(url, json=WINDOW, headers=headers)
    assert failed.status_code == 500
    jobs_sql = "SELECT count(*) FROM analysis_job WHERE client_id = CAST(:c AS uuid)"
    assert await _count(app, jobs_sql, c=client_id) == 0  # nothing queued, nothing left
    keys = "SELECT count(*) FROM idempotency_record WHERE key = :k"
    assert await _count(app, keys, k=headers["Idempotency-Key"]) == 0
    monkeypatch.undo()
    retried = await client.post(url, json=WINDOW, headers=headers)  # the retry works
    assert retried.status_code == 202
    assert await _count(app, jobs_sql, c=client_id) == 1


async def test_a_jobs_runs_are_the_work_of_whoever_created_it(jobs_env: Any) -> None:
    app, client, _ = jobs_env
    client_id = await _client_with_posts(client, 30)
    me = (await client.get("/api/v1/auth/me")).json()
    key = await client.post("/api/v1/tenant/api-keys", json={"name": "etl", "role": "analyst"})
    assert key.status_code == 201, key.text
    by_user = await _job(client, client_id, questions=[KEYS[0], KEYS[-1]], force=True)
    by_key = await client.post(
        f"/api/v1/clients/{client_id}/analyses",
        json={**WINDOW, "questions": [KEYS[6]], "force": True},
        headers={"Authorization": "", "X-API-Key": key.json()["secret"]},
    )
    assert by_key.status_code == 202, by_key.text
    await run_worker(app.state.jobs, concurrency=2, wait=False)
    runs = "SELECT count(*) FROM analysis_run WHERE job_id = CAST(:j AS uuid)"
    mine = runs + " AND created_by_id = CAST(:u AS uuid)"
    assert await _count(app, runs, j=by_user) == 2
    assert await _count(app, mine, j=by_user, u=me["id"]) == 2
    keyed = runs + " AND created_by_api_key_id = CAST(:k AS uuid) AND created_by_id IS NULL"
    key_job = by_key.json()["job_id"]
    assert await _count(app, keyed, j=key_job, k=key.json()["id"]) == 1
    events = (
        "SELECT count(*) FROM audit_event WHERE action = 'analysis.run' "
        "AND details->>'job_id' = :j AND actor_user_id = CAST(:u AS uuid)"
    )
    assert await _count(app, events, j=by_user, u=me["id"]) == 2


async def test_a_job_of_a_dead_worker_is_picked_up_again(jobs_env: Any) -> None:
    """A worker killed mid-job (no graceful stop) leaves its job 'doing' with a heartbeat
    that stops; the next worker to start finds it stalled and runs it again."""
    from sqlalchemy import text

    from app.core.jobs import STALLED_AFTER_SECONDS

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


# --- reliability: dead workers, lost jobs, stale runs, database errors, deadlines --------


async def _take(app: Any, job_id: str) -> int:
    """What a second worker does with `job_id`: its queue entry 'doing', taken by that
    worker (heartbeat fresh). Returns the worker's id."""
    from sqlalchemy import text

    async with app.state.db.engine.begin() as conn:
        other = (
            await conn.execute(
                text(
                    "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now()) RETURNING id"
                )
            )
        ).scalar_one()
        taken = await conn.execute(
            text(
                "UPDATE procrastinate_jobs SET status = 'doing', worker_id = :worker "
                "WHERE status = 'todo' AND args->>'job_id' = :job RETURNING id"
            ),
            {"worker": other, "job": job_id},
        )
        assert taken.scalar_one() is not None
    return int(other)


async def _kill(app: Any, worker_id: int) -> None:
    """`kill -9` of that worker: its heartbeat stops (here: is two minutes old)."""
    from sqlalchemy import text

    from app.core.jobs import STALLED_AFTER_SECONDS

    async with app.state.db.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE procrastinate_workers "
                "SET last_heartbeat = now() - make_interval(secs => :age) WHERE id = :id"
            ),
            {"age": STALLED_AFTER_SECONDS * 4, "id": worker_id},
        )


async def test_a_running_worker_takes_over_the_job_of_a_worker_that_died(
    jobs_env: Any,
) -> None:
    """Another worker has the job when this one starts (nothing stalled yet); then the
    other dies: this worker's periodic upkeep (not its start) finds the stalled job,
    which then finishes."""
    app, client, _ = jobs_env
    client_id = await _client_with_posts(client, 40)
    job_id = await _job(client, client_id, questions=[KEYS[6]], force=True)
    other = await _take(app, job_id)
    worker = asyncio.create_task(
        run_worker(app.state.jobs, concurrency=1, wait=True, name="alive", chores_every=0.2)
    )
    try:
        await asyncio.sleep(0.5)  # up, and its start-up upkeep found nothing to take over
        assert (await _status(client, job_id))["status"] == "queued"
        await _kill(app, other)
        deadline = time.monotonic() + 60  # bounded, and generous on a busy machine
        while time.monotonic() < deadline:
            if (await _status(client, job_id))["status"] in ("succeeded", "failed"):
                break
            await asyncio.sleep(0.05)
    finally:
        worker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await worker
    assert (await _status(client, job_id))["status"] == "succeeded"


async def test_a_database_error_ends_the_attempt_not_the_job(
    jobs_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database failure in the middle of a job is not the questions' fault: the attempt
    stops (the queue retries it) and no driver text or SQL reaches the job's error."""
    from sqlalchemy.exc import OperationalError

    app, client, _ = jobs_env
    client_id = await _client_with_posts(client, 40)
    job_id = uuid.UUID(await _job(client, client_id, questions=[KEYS[0], KEYS[-1]], force=True))
    original = service.execute
    calls = 0

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:  # storing the second question: the database is gone for a moment
            raise OperationalError("UPDATE analysis_run SET ...", {}, ConnectionError("lost"))
        return await original(*args, **kwargs)

    monkeypatch.setattr(service, "execute", flaky)
    with pytest.raises(OperationalError):
        await service.work_job(app.state.db, app.state.settings, job_id)
    midway = await _status(client, str(job_id))
    assert midway["status"] == "running"  # not failed: the queue will try again
    assert midway["error"] is None
    await service.work_job(app.state.db, app.state.settings, job_id)  # the retry
    status = await _status(client, str(job_id))
    assert status["status"] == "succeeded", status["error"]
    assert sorted(r["question"] for r in status["runs"]) == sorted([KEYS[0], KEYS[-1]])


async def test_lost_jobs_and_stale_runs_are_failed_with_a_reason(jobs_env: Any) -> None:
    from sqlalchemy import text

    app, client, _ = jobs_env
    client_id = await _client_with_posts(client, 20)
    lost = await _job(client, client_id, questions=[KEYS[0]])
    async with app.state.db.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE procrastinate_jobs SET status = 'failed', attempts = 6 "
                "WHERE args->>'job_id' = :job"
            ),
            {"job": lost},
        )
        job = (await conn.execute(text("SELECT tenant_id FROM analysis_job LIMIT 1"))).first()
        assert job is not None
        stale = (
            await conn.execute(
                text(
                    "INSERT INTO analysis_run (id, tenant_id, client_id, question, status, "
                    "engine, input_fingerprint, params, usage, posts_analyzed, created_at, "
                    "updated_at) VALUES (gen_random_uuid(), :t, CAST(:c AS uuid), :q, "
                    "'running', 'local', :f, '{}', '{}', 20, now() - interval '1 hour', "
                    "now() - interval '1 hour') RETURNING id"
                ),
                {"t": job.tenant_id, "c": client_id, "q": KEYS[6], "f": "f" * 64},
            )
        ).scalar_one()
    await service.fail_abandoned_work(app.state.db, app.state.settings)
    status = await _status(client, lost)
    assert status["status"] == "failed"
    assert "stopped after 6 attempts" in status["error"]
    run = (await client.get(f"/api/v1/analyses/{stale}")).json()
    assert run["status"] == "failed"
    assert "stopped before it finished" in run["error"]
    again = await client.post(
        f"/api/v1/clients/{client_id}/analyses/{KEYS[6]}", json={**WINDOW, "force": True}
    )
    assert again.json()["status"] == "succeeded"  # and it can be run again


async def test_a_hanging_model_is_bounded_by_the_runs_deadline(
    jobs_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, client, _ = jobs_env
    client_id = await _client_with_posts(client, 20)
    monkeypatch.setattr(app.state.settings, "analysis_run_deadline_seconds", 0.5)
    fake = FakeOpenAI([_answer], delay=30.0)
    await _use_openai(app, client, fake)
    original = app.state.http_client
    app.state.http_client = fake.http_client()
    try:
        started = time.perf_counter()
        r = await client.post(
            f"/api/v1/clients/{client_id}/analyses/{KEYS[6]}", json={**WINDOW, "force": True}
        )
        elapsed = time.perf_counter() - started
    finally:
        app.state.http_client = original
        await _use_local(client)
    assert elapsed < 5, elapsed
    assert r.status_code == 504, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    detail = r.json()["detail"]
    assert "did not answer within 0.5 s" in detail
    run_id = detail.split("/api/v1/analyses/")[1].split(";")[0]
    run = (await client.get(f"/api/v1/analyses/{run_id}")).json()
    assert run["status"] == "failed"
    assert run["engine"] == "openai"
