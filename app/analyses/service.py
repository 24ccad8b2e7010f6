"""Running the questions: open the window, compute, store the JSON, return it.

A run never holds a write transaction while it computes or calls out: it stores the run
as `running` in a short transaction, computes (local engine in a thread, or an HTTP
call), then stores the outcome (result or error) in a second short transaction. A failed
run is stored as failed with its error and no partial result.

Work is done for an `Actor`: the caller of a request, or, in a job, whoever created the
job (its user or API key), so runs and audit events say who asked for them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.ai.local import analyze_texts as analyze_local_texts
from app.analyses import loader, registry
from app.analyses.engines import (
    AnalysisEngineError,
    EngineChoice,
    EngineResult,
    choose_engine,
    ensure_allowed_endpoint,
)
from app.analyses.models import AnalysisJob, AnalysisRun
from app.analyses.question import Previous, Question
from app.analyses.repository import (
    JobRepository,
    RunRepository,
    fail_lost_jobs,
    fail_stale_runs,
    job_for_worker,
)
from app.analyses.schemas import MAX_TEXT_CHARS, JobCreated, JobRequest, RunOut, RunRequest
from app.analyses.window import Window
from app.clients import service as clients_service
from app.core import idempotency, jobs
from app.core.config import Settings
from app.core.db import Database
from app.core.errors import (
    AppError,
    GatewayTimeout,
    NotFound,
    PayloadTooLarge,
    UnprocessableEntity,
)
from app.core.memory import release_memory
from app.core.schemas import EARLIEST
from app.core.scope import Actor, TenantScope
from app.tenants import audit
from app.tenants import service as tenants_service

logger = logging.getLogger(__name__)

RUN_JOB_TASK = "analyses.run_job"


# --------------------------------------------------------------------------- the window


@dataclass
class Loaded:
    """A window read, enriched and measured once, shared by the questions that use it."""

    client_id: uuid.UUID
    window: Window
    engine_settings: dict[str, Any]  # the tenant's AI settings, API key decrypted
    params: dict[str, Any]  # the window as the run stores it
    versions_digest: str  # every post's (id, updated_at): what the input fingerprint reads
    empty_note: str | None = None  # an empty window: where the client's posts are


def _instant(value: date | None, zone: ZoneInfo, *, end: bool) -> datetime | None:
    """A window's bound in UTC: a time as it is; a day read in `zone`, from its start (or,
    for the end, to its end: the next day's midnight, excluded)."""
    if value is None or isinstance(value, datetime):
        return value
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, dt_time(), zone).astimezone(UTC)


def _bounds(req: RunRequest, settings: Settings, zone: str) -> tuple[datetime, datetime]:
    local = ZoneInfo(zone)
    until = (_instant(req.until, local, end=True) or datetime.now(UTC)).astimezone(UTC)
    # The default window, cut at the first time there is (an `until` near year 1).
    window = min(timedelta(days=settings.analysis_default_window_days), until - EARLIEST)
    since = (_instant(req.since, local, end=False) or until - window).astimezone(UTC)
    if since >= until:
        raise UnprocessableEntity(
            f"since ({since.isoformat()}) must be before until ({until.isoformat()}); a day "
            f"is read in the tenant's time zone ({zone})",
            errors=[
                {
                    "loc": ["body", "since"],
                    "msg": "since must be before until",
                    "type": "value_error",
                }
            ],
        )
    return since, until


async def open_window(
    db: Database, settings: Settings, scope: TenantScope, client_id: uuid.UUID, req: RunRequest
) -> Loaded:
    """Read the window (one short transaction), build it in a thread (enrichment, topics,
    aggregates), store the enrichment that changed."""
    platforms = sorted(p.value for p in req.platforms) if req.platforms else None
    accounts = sorted(req.account_ids) if req.account_ids else None
    async with db.session() as session, session.begin():
        profile = await clients_service.client_profile(session, scope, client_id)
        tenant = await tenants_service.get_current_tenant(session, scope)
        since, until = _bounds(req, settings, tenant.timezone)
        if accounts:
            known = await clients_service.account_platforms(session, scope, client_id)
            unknown = [str(a) for a in accounts if a not in known]
            if unknown:
                raise UnprocessableEntity(
                    f"Not accounts of this client: {', '.join(unknown)}",
                    errors=[
                        {
                            "loc": ["body", "account_ids"],
                            "msg": "Unknown account",
                            "type": "value_error",
                        }
                    ],
                )
        engine_settings = tenants_service.engine_settings(tenant, settings)
        read = await loader.read_posts(
            session,
            scope,
            client_id,
            since=since,
            until=until,
            platforms=platforms,
            account_ids=accounts,
            max_posts=settings.analysis_max_posts,
        )
        empty_note = None
        if not read.posts:
            posts_range = await loader.published_range(session, scope, client_id)
            empty_note = _empty_window_note(since, until, posts_range, tenant)
    if (req.engine or engine_settings.get("engine") or settings.analysis_engine) == "openai":
        await ensure_allowed_endpoint(settings, engine_settings)
    window = await asyncio.to_thread(
        Window.build,
        read.posts,
        client=profile,
        start=since,
        end=until,
        language=tenant.language,
        timezone=tenant.timezone,
        topics=req.topics,
    )
    if window.enrichment_changed:
        async with db.session() as session, session.begin():
            await loader.store_enrichment(
                session, scope, [window.posts[i] for i in window.enrichment_changed]
            )
    params: dict[str, Any] = {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "platforms": platforms,
        "account_ids": [str(a) for a in accounts] if accounts else None,
    }
    if req.topics is not None:  # only when asked: earlier runs keep their fingerprints
        params["topics"] = req.topics
    return Loaded(
        client_id=client_id,
        window=window,
        engine_settings=engine_settings,
        params=params,
        versions_digest=read.versions_digest,
        empty_note=empty_note,
    )


def _empty_window_note(
    since: datetime, until: datetime, posts: tuple[datetime, datetime] | None, tenant: Any
) -> str:
    """An empty window says where the client's posts are (days in the tenant's zone; the
    window's last day is the one before its exclusive end)."""
    zone = ZoneInfo(tenant.timezone)

    def day(t: datetime) -> str:
        return t.astimezone(zone).date().isoformat()

    start, end = day(since), day(until - timedelta(microseconds=1))
    if tenant.language == "es":
        if posts is None:
            return (
                f"No hay publicaciones entre el {start} y el {end}: este cliente aún no tiene "
                "ninguna (impórtalas con POST .../posts/import)."
            )
        return (
            f"No hay publicaciones entre el {start} y el {end}; las de este cliente van del "
            f"{day(posts[0])} al {day(posts[1])} ({tenant.timezone})."
        )
    if posts is None:
        return (
            f"No posts between {start} and {end}: this client has none yet (import them "
            "with POST .../posts/import)."
        )
    return (
        f"No posts between {start} and {end}; this client's posts run from "
        f"{day(posts[0])} to {day(posts[1])} ({tenant.timezone})."
    )


# --------------------------------------------------------------------------- one question


@dataclass
class Plan:
    """One question's run over a loaded window, resolved before any computation."""

    question: Question[Any]
    choice: EngineChoice
    params: dict[str, Any]
    fingerprint: str
    previous: Previous
    previous_ids: dict[str, str]


def _fingerprint(
    question: str,
    client_id: uuid.UUID,
    params: dict[str, Any],
    versions_digest: str,
    previous_ids: dict[str, str],
) -> str:
    """What a run's result depends on: question, client, window parameters, the version
    of every post in the window, and the stored runs it builds on."""
    digest = hashlib.sha256()
    digest.update(
        json.dumps(
            {
                "q": question,
                "client": str(client_id),
                "params": params,
                "previous": previous_ids,
                "posts": versions_digest,
            },
            sort_keys=True,
        ).encode()
    )
    return digest.hexdigest()


def plan(
    settings: Settings,
    loaded: Loaded,
    question: Question[Any],
    req: RunRequest,
    *,
    stored: dict[str, AnalysisRun],
    http_client: Any = None,
) -> Plan:
    """One question's run plan (no I/O). `stored`: the runs its inputs may come from."""
    choice = choose_engine(settings, loaded.engine_settings, req.engine, req.model, http_client)
    used = {q.key: stored[q.key] for q in question.depends_on if q.key in stored}
    previous_ids = {k: str(run.id) for k, run in sorted(used.items())}
    previous = (
        Previous.load(question.depends_on, {k: run.result for k, run in used.items()})
        if question.depends_on
        else Previous()
    )
    fingerprint = _fingerprint(
        question.key, loaded.client_id, loaded.params, loaded.versions_digest, previous_ids
    )
    return Plan(question, choice, dict(loaded.params), fingerprint, previous, previous_ids)


async def execute(
    db: Database,
    actor: Actor,
    loaded: Loaded,
    plan: Plan,
    *,
    job_id: uuid.UUID | None = None,
    force: bool = False,
) -> AnalysisRun:
    """Run one planned question: reuse, or compute and store; returns the stored run."""
    question = plan.question
    choice = plan.choice
    scope = actor.scope
    if not force:
        async with db.session() as session:
            reusable = await RunRepository(session, scope).find_reusable(
                loaded.client_id,
                question.key,
                plan.fingerprint,
                choice.name,
                choice.model,
                choice.prompt_versions[question.key],
            )
        if reusable is not None:
            return await _store_reuse(db, actor, loaded.client_id, reusable, plan, job_id)

    async with db.session() as session, session.begin():
        run = RunRepository(session, scope).add(
            AnalysisRun(
                client_id=loaded.client_id,
                job_id=job_id,
                question=question.key,
                status="running",
                engine=choice.name,
                model=choice.model,
                prompt_version=choice.prompt_versions[question.key],
                input_fingerprint=plan.fingerprint,
                params=plan.params,
                usage={},
                posts_analyzed=loaded.window.n,
                created_by_id=actor.user_id,
                created_by_api_key_id=actor.api_key_id,
            )
        )
        await session.flush()
        audit.record(
            session,
            actor,
            "analysis.run",
            "analysis_run",
            run.id,
            {
                "question": question.key,
                "engine": choice.name,
                "client_id": str(loaded.client_id),
                "job_id": str(job_id) if job_id else None,
            },
        )

    started = time.perf_counter()
    outcome: EngineResult | None = None
    failure: AnalysisEngineError | None = None
    try:
        outcome = await choice.engine.run(question, loaded.window, plan.previous)
        # Validate again with our model: whatever an engine returns, what we store fits.
        validated = question.result.model_validate(outcome.result.model_dump())
        notes = getattr(validated, "notes", None)
        if loaded.empty_note and isinstance(notes, list):
            validated.notes = [loaded.empty_note, *notes]
        outcome = replace(outcome, result=validated)
    except AnalysisEngineError as exc:
        failure = exc
    except ValidationError:
        logger.exception("analysis %s: the engine's result does not fit its model", question.key)
        failure = AnalysisEngineError(
            f"the {choice.name} engine's answer does not fit the {question.key} result model"
        )
    except Exception:  # an engine bug must still end as a failed run, not a hang
        logger.exception("analysis %s failed", question.key)
        failure = AnalysisEngineError(
            f"an internal error stopped the computation (logged with run id {run.id})"
        )
    duration_ms = int((time.perf_counter() - started) * 1000)

    async with db.session() as session, session.begin():
        stored = await RunRepository(session, scope).get(run.id)
        if stored is None:  # deleted meanwhile (its client was)
            raise NotFound("Analysis run not found")
        stored.duration_ms = duration_ms
        if outcome is not None and failure is None:
            stored.status = "succeeded"
            stored.result = outcome.result.model_dump(mode="json")
            stored.model = outcome.model
            stored.prompt_version = outcome.prompt_version
            stored.usage = outcome.usage.as_dict()
        else:
            assert failure is not None
            stored.status = "failed"
            stored.error = f"Could not answer {question.key} ({question.title}): {failure}"[:4000]
            stored.usage = failure.usage.as_dict()  # what the failed attempt cost
            if failure.model:
                stored.model = failure.model
    if failure is not None and failure.deadline_exceeded:
        raise RunDeadlineExceeded(stored)
    return stored


class RunDeadlineExceeded(GatewayTimeout):
    """The model did not answer within the run's deadline; the failed run is stored."""

    def __init__(self, run: AnalysisRun) -> None:
        super().__init__(
            f"{run.error}. The failed run is stored: GET /api/v1/analyses/{run.id}; "
            "run it again later, or with the local engine."
        )
        self.run = run


async def _store_reuse(
    db: Database,
    actor: Actor,
    client_id: uuid.UUID,
    source: AnalysisRun,
    plan: Plan,
    job_id: uuid.UUID | None,
) -> AnalysisRun:
    """A new run row pointing at the stored one, so history and jobs stay complete."""
    async with db.session() as session, session.begin():
        run = RunRepository(session, actor.scope).add(
            AnalysisRun(
                client_id=client_id,
                job_id=job_id,
                question=source.question,
                status="succeeded",
                engine=source.engine,
                model=source.model,
                prompt_version=source.prompt_version,
                input_fingerprint=source.input_fingerprint,
                params=plan.params,
                result=source.result,
                usage={},
                duration_ms=0,
                posts_analyzed=source.posts_analyzed,
                created_by_id=actor.user_id,
                created_by_api_key_id=actor.api_key_id,
                reused_from_id=source.reused_from_id or source.id,
            )
        )
        await session.flush()
        audit.record(
            session,
            actor,
            "analysis.reuse",
            "analysis_run",
            run.id,
            {"question": source.question, "reused_from": str(run.reused_from_id)},
        )
        return run


async def _latest_inputs(
    db: Database, scope: TenantScope, client_id: uuid.UUID, questions: list[Question[Any]]
) -> dict[str, AnalysisRun]:
    keys = [q.key for q in registry.inputs_of(questions)]
    if not keys:
        return {}
    async with db.session() as session:
        return await RunRepository(session, scope).latest_succeeded(client_id, keys)


async def run_question(
    db: Database,
    settings: Settings,
    actor: Actor,
    client_id: uuid.UUID,
    name: str,
    req: RunRequest,
    http_client: Any = None,
) -> AnalysisRun:
    """One question now: the stored run (dependent questions read the latest results of
    their inputs)."""
    question = registry.resolve(name)
    loaded = await open_window(db, settings, actor.scope, client_id, req)
    stored = await _latest_inputs(db, actor.scope, client_id, [question])
    planned = plan(settings, loaded, question, req, stored=stored, http_client=http_client)
    return await execute(db, actor, loaded, planned, force=req.force)


async def run_question_once(
    db: Database,
    settings: Settings,
    actor: Actor,
    client_id: uuid.UUID,
    name: str,
    req: RunRequest,
    http_client: Any = None,
    *,
    idempotency_key: str | None,
    request_hash: str,
) -> JSONResponse:
    """`run_question` under an Idempotency-Key: the key is claimed (committed) before the
    run, so a retry while it runs is told to wait, and a retry after it replays its
    answer; a run that raises releases the key."""
    claimed: idempotency.Claim | JSONResponse = idempotency.Claim(None)
    if idempotency_key:
        async with db.session() as session, session.begin():
            claimed = await idempotency.claim(session, actor.scope, idempotency_key, request_hash)
    if isinstance(claimed, JSONResponse):
        return claimed
    try:
        run = await run_question(db, settings, actor, client_id, name, req, http_client)
    except Exception:
        if claimed.record_id is not None:
            async with db.session() as session, session.begin():
                await claimed.release(session)
        raise
    body = RunOut.of(run).model_dump(mode="json")
    if claimed.record_id is not None:
        async with db.session() as session, session.begin():
            await claimed.complete(session, 201, body)
    return JSONResponse(body, status_code=201)


# --------------------------------------------------------------------------- jobs


def requested_questions(req: JobRequest) -> list[str]:
    names = req.questions or list(registry.KEYS)
    return sorted({registry.resolve(n).key for n in names}, key=lambda k: registry.BY_KEY[k].number)


async def create_job(
    db: Database,
    settings: Settings,
    actor: Actor,
    client_id: uuid.UUID,
    req: JobRequest,
    *,
    idempotency_key: str | None,
    request_hash: str,
) -> JSONResponse:
    """Create and enqueue a job: its row, its place in the queue and its Idempotency-Key
    commit in one transaction (a retry with the same key replays the answer; two at the
    same time create one job). Answers 202 with the job and its Location."""
    keys = requested_questions(req)
    scope = actor.scope
    async with db.session() as session, session.begin():
        claimed = await idempotency.claim(session, scope, idempotency_key, request_hash)
        if isinstance(claimed, JSONResponse):
            return claimed
        await clients_service.ensure_client(session, scope, client_id)
        tenant = await tenants_service.get_current_tenant(session, scope)
        # Fail fast on an unusable engine instead of in every question of the job.
        engine_settings = tenants_service.engine_settings(tenant, settings)
        if choose_engine(settings, engine_settings, req.engine, req.model, None).name == "openai":
            await ensure_allowed_endpoint(settings, engine_settings)
        job = JobRepository(session, scope).add(
            AnalysisJob(
                client_id=client_id,
                status="queued",
                questions=keys,
                params=req.model_dump(mode="json", exclude={"questions"}),
                progress=0,
                created_by_id=actor.user_id,
                created_by_api_key_id=actor.api_key_id,
            )
        )
        await session.flush()
        job.worker_job_id = await jobs.defer(
            session, RUN_JOB_TASK, {"job_id": str(job.id)}, lock=f"analysis-job-{job.id}"
        )
        audit.record(
            session,
            actor,
            "analysis.job",
            "analysis_job",
            job.id,
            {"questions": keys, "client_id": str(client_id)},
        )
        body = JobCreated(job_id=job.id, status="queued").model_dump(mode="json")
        headers = {"Location": f"/api/v1/jobs/{job.id}"}
        await claimed.complete(session, 202, body, headers)
    return JSONResponse(body, status_code=202, headers=headers)


async def _set_job(db: Database, scope: TenantScope, job_id: uuid.UUID, **values: Any) -> None:
    async with db.session() as session, session.begin():
        job = await JobRepository(session, scope).get(job_id)
        if job is not None:
            for name, value in values.items():
                setattr(job, name, value)


def job_actor(job: AnalysisJob) -> Actor:
    """Whom a job's work is done for: the user or API key that created it."""
    return Actor(
        tenant_id=job.tenant_id, user_id=job.created_by_id, api_key_id=job.created_by_api_key_id
    )


async def work_job(
    db: Database, settings: Settings, job_id: uuid.UUID, http_client: Any = None
) -> None:
    """Execute a job's dependency graph as its creator; safe to call again after an
    interruption (questions already answered are skipped)."""
    async with db.session() as session:
        job = await job_for_worker(session, job_id)
    if job is None or job.status in ("succeeded", "failed"):
        return  # deleted meanwhile (its client or tenant was), or already finished
    actor = job_actor(job)
    scope = actor.scope
    async with db.session() as session, session.begin():
        runs = await RunRepository(session, scope).for_job(job_id)
        await RunRepository(session, scope).fail_interrupted(
            job_id, "Interrupted (the worker stopped); the job ran it again"
        )
    done = {r.question for r in runs if r.status == "succeeded"}
    total = len(job.questions)
    await _set_job(
        db,
        scope,
        job_id,
        status="running",
        started_at=datetime.now(UTC),
        progress=_progress(len(done), total),
    )
    req = RunRequest.model_validate(job.params)
    finished = set(done)
    failures: dict[str, str] = {}
    levels = registry.execution_levels([q for q in job.questions if q not in done])
    if not levels:
        await _finish_job(db, scope, job_id, failures)
        return
    # The window is read and built once for the whole job: every question of every
    # level reads it (one copy of the posts in memory, one enrichment).
    try:
        loaded = await open_window(db, settings, scope, job.client_id, req)
    except AppError as exc:  # the client was deleted, the window grew too big...
        await _set_job(
            db,
            scope,
            job_id,
            status="failed",
            progress=100,
            finished_at=datetime.now(UTC),
            error=f"Could not read the input: {exc.detail}",
        )
        return
    # Anything else (the database went away...) ends this attempt: the queue retries it.

    async def one(window: Loaded, question: Question[Any], stored: dict[str, AnalysisRun]) -> None:
        error: str | None = None
        try:
            planned = plan(settings, window, question, req, stored=stored, http_client=http_client)
            run = await execute(db, actor, window, planned, job_id=job_id, force=req.force)
            if run.status != "succeeded":
                error = run.error
        except RunDeadlineExceeded as exc:
            error = exc.run.error
        except AppError as exc:  # e.g. the engine is no longer configured
            error = f"Could not answer {question.key}: {exc.detail}"
        if error is not None:
            failures[question.key] = error
        finished.add(question.key)
        await _set_job(db, scope, job_id, progress=_progress(len(finished), total))

    try:
        for level in levels:
            stored = await _inputs_for(db, scope, job.client_id, job_id, level)
            outcomes = await asyncio.gather(
                *(one(loaded, question, stored) for question in level), return_exceptions=True
            )
            # What escaped a question is not about the question (the database, the
            # process): the attempt stops, and the queue runs the job again later,
            # keeping the questions already answered.
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
        await _finish_job(db, scope, job_id, failures)
    finally:
        del loaded  # the window: the largest thing a worker holds
        await asyncio.to_thread(release_memory)


async def _finish_job(
    db: Database, scope: TenantScope, job_id: uuid.UUID, failures: dict[str, str]
) -> None:
    await _set_job(
        db,
        scope,
        job_id,
        status="failed" if failures else "succeeded",
        progress=100,
        finished_at=datetime.now(UTC),
        error="; ".join(failures[k] for k in registry.KEYS if k in failures) or None,
    )


async def _inputs_for(
    db: Database,
    scope: TenantScope,
    client_id: uuid.UUID,
    job_id: uuid.UUID,
    level: list[Question[Any]],
) -> dict[str, AnalysisRun]:
    """The inputs of a level's questions: this job's own runs where it has them, else the
    latest stored ones."""
    keys = [q.key for q in registry.inputs_of(level)]
    if not keys:
        return {}
    async with db.session() as session:
        repo = RunRepository(session, scope)
        latest = await repo.latest_succeeded(client_id, keys)
        own = {
            r.question: r
            for r in await repo.for_job(job_id)
            if r.status == "succeeded" and r.question in keys
        }
    return {**latest, **own}


async def fail_abandoned_work(db: Database, settings: Settings) -> None:
    """Upkeep for job workers: a run a dead process left 'running' is failed after
    `ANALYSIS_STALE_RUN_MINUTES`, and a job the queue gave up on is failed, both saying
    why, so neither waits forever and either can be requested again."""
    stale = datetime.now(UTC) - timedelta(minutes=settings.analysis_stale_run_minutes)
    async with db.session() as session, session.begin():
        runs = await fail_stale_runs(
            session,
            stale,
            "The process computing this run stopped before it finished (a restart or a "
            "crash); run it again.",
        )
        jobs_failed = await fail_lost_jobs(
            session,
            "The job stopped after {attempts} attempts without finishing (the database or "
            "the worker was unavailable); request it again.",
            "Its job stopped before this question was answered; request it again.",
        )
    if runs or jobs_failed:
        logger.warning("failed %s abandoned runs and %s lost jobs", runs, jobs_failed)


def _progress(done: int, total: int) -> int:
    return 100 if total == 0 else min(100, round(100 * done / total))


# --------------------------------------------------------------------------- reads


async def get_run(session: AsyncSession, scope: TenantScope, run_id: uuid.UUID) -> AnalysisRun:
    run = await RunRepository(session, scope).get(run_id)
    if run is None:
        raise NotFound("Analysis run not found")
    return run


async def list_runs(
    session: AsyncSession, scope: TenantScope, client_id: uuid.UUID, **filters: Any
) -> tuple[list[AnalysisRun], int]:
    await clients_service.ensure_client(session, scope, client_id)
    return await RunRepository(session, scope).page(client_id, **filters)


async def insights(
    session: AsyncSession, scope: TenantScope, client_id: uuid.UUID
) -> dict[str, AnalysisRun]:
    await clients_service.ensure_client(session, scope, client_id)
    return await RunRepository(session, scope).latest_succeeded(client_id, registry.KEYS)


async def job_with_runs(
    session: AsyncSession, scope: TenantScope, job_id: uuid.UUID
) -> tuple[AnalysisJob, list[AnalysisRun]]:
    job = await JobRepository(session, scope).get(job_id)
    if job is None:
        raise NotFound("Job not found")
    return job, await RunRepository(session, scope).for_job(job_id)


async def analyze_texts(texts: list[str], language: str) -> list[dict[str, Any]]:
    # Bounds the work of one request (about half a second on this hardware): a size limit,
    # so 413, like a body over MAX_BODY_BYTES.
    total = sum(len(t) for t in texts)
    if total > MAX_TEXT_CHARS:
        raise PayloadTooLarge(
            f"The texts hold {total} characters; at most {MAX_TEXT_CHARS} per request"
        )
    lang = None if language == "auto" else language
    results = await asyncio.to_thread(analyze_local_texts, texts, lang)
    return [
        {
            "language": r.language,
            "sentiment_label": r.sentiment_label,
            "sentiment_score": r.sentiment_score,
            "emotion_label": r.emotion_label,
            "emotion_scores": r.emotion_scores,
            "keywords": r.keywords,
        }
        for r in results
    ]
