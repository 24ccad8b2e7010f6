"""Running the ten questions: prepare the input, compute, store the JSON, return it.

A run never holds a write transaction while it computes or calls out: it stores the run
as `running` in a short transaction, computes (local engine in a thread, or an HTTP
call), then stores the outcome (result or error) in a second short transaction. A failed
run is stored as failed with its error and no partial result.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.ai.base import (
    AnalysisEngineError,
    AnalysisInput,
    ClientProfile,
    EngineResult,
    PostRecord,
)
from app.analyses import loader, registry
from app.analyses.engines import EngineChoice, choose_engine
from app.analyses.models import AnalysisJob, AnalysisRun
from app.analyses.repository import JobRepository, RunRepository
from app.analyses.results import RESULT_MODELS
from app.analyses.schemas import JobRequest, RunRequest
from app.clients import service as clients_service
from app.core.auth import AuthContext
from app.core.config import Settings
from app.core.db import Database
from app.core.errors import NotFound, UnprocessableEntity
from app.core.memory import release_memory
from app.tenants import audit
from app.tenants import service as tenants_service

logger = logging.getLogger(__name__)

BASE_QUESTIONS = ("q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8")


@dataclass
class Prepared:
    """Everything a run needs, resolved before any computation."""

    question: registry.Question
    choice: EngineChoice
    params: dict[str, Any]
    fingerprint: str
    data: AnalysisInput
    previous_ids: dict[str, str]


def _window(req: RunRequest, settings: Settings) -> tuple[datetime, datetime]:
    until = (req.until or datetime.now(UTC)).astimezone(UTC)
    since = req.since or until - timedelta(days=settings.analysis_default_window_days)
    return since.astimezone(UTC), until


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


@dataclass
class Loaded:
    """A window's input, loaded and enriched once, shared by the questions that use it."""

    client_id: uuid.UUID
    profile: ClientProfile
    tenant_language: str
    timezone: str
    engine_settings: dict[str, Any]
    params: dict[str, Any]
    posts: list[PostRecord]
    versions_digest: str
    since: datetime
    until: datetime


async def load(
    db: Database, settings: Settings, auth: AuthContext, client_id: uuid.UUID, req: RunRequest
) -> Loaded:
    """Read the window (one short transaction), enrich it once, store what changed."""
    since, until = _window(req, settings)
    platforms = sorted(p.value for p in req.platforms) if req.platforms else None
    accounts = sorted(req.account_ids) if req.account_ids else None
    async with db.session() as session, session.begin():
        profile = await clients_service.client_profile(session, auth.scope, client_id)
        if accounts:
            known = await clients_service.account_platforms(session, auth.scope, client_id)
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
        tenant = await tenants_service.get_current_tenant(session, auth.scope)
        window = await loader.read_posts(
            session,
            auth.scope,
            client_id,
            since=since,
            until=until,
            platforms=platforms,
            account_ids=accounts,
            max_posts=settings.analysis_max_posts,
        )
    posts = window.posts
    changed = await _enrich(posts)
    if changed:
        async with db.session() as session, session.begin():
            await loader.store_enrichment(session, auth.scope, [posts[i] for i in changed])
    del changed
    params = {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "platforms": platforms,
        "account_ids": [str(a) for a in accounts] if accounts else None,
    }
    return Loaded(
        client_id,
        profile,
        tenant.language,
        tenant.timezone,
        tenants_service.engine_settings(tenant, settings),
        params,
        posts,
        window.versions_digest,
        since,
        until,
    )


async def _latest_base_results(
    db: Database, auth: AuthContext, client_id: uuid.UUID
) -> dict[str, AnalysisRun]:
    async with db.session() as session:
        return await RunRepository(session, auth.scope).latest_succeeded(client_id, BASE_QUESTIONS)


def prepare(
    settings: Settings,
    loaded: Loaded,
    question: registry.Question,
    req: RunRequest,
    *,
    previous: dict[str, AnalysisRun],
    http_client: Any = None,
) -> Prepared:
    """One question's run plan over a loaded window (no I/O)."""
    choice = choose_engine(settings, loaded.engine_settings, req.engine, req.model, http_client)
    used = previous if question.depends_on else {}
    previous_ids = {k: str(run.id) for k, run in sorted(used.items())}
    data = AnalysisInput(
        client=loaded.profile,
        posts=loaded.posts,
        window_start=loaded.since,
        window_end=loaded.until,
        tenant_language=loaded.tenant_language,
        timezone=loaded.timezone,
        previous={k: run.result or {} for k, run in used.items()},
    )
    fingerprint = _fingerprint(
        question.key, loaded.client_id, loaded.params, loaded.versions_digest, previous_ids
    )
    return Prepared(question, choice, dict(loaded.params), fingerprint, data, previous_ids)


async def _find_reusable(
    db: Database, auth: AuthContext, client_id: uuid.UUID, prepared: Prepared
) -> AnalysisRun | None:
    async with db.session() as session:
        return await RunRepository(session, auth.scope).find_reusable(
            client_id,
            prepared.question.key,
            prepared.fingerprint,
            prepared.choice.name,
            prepared.choice.model,
            prepared.choice.prompt_versions[prepared.question.key],
        )


async def _enrich(posts: list[PostRecord]) -> list[int]:
    """Enrich the window in place; the indexes of the posts whose stored enrichment must
    change.

    The whole window goes through the enrichment so topic labels come from one topic
    model (the one Q3 uses); posts that already carry sentiment are not analysed again.
    """
    if not posts:
        return []
    from app.ai.local.analysis_engine import enrich_in_place

    return await asyncio.to_thread(enrich_in_place, posts)


async def execute(
    db: Database,
    auth: AuthContext,
    client_id: uuid.UUID,
    prepared: Prepared,
    *,
    job_id: uuid.UUID | None = None,
    force: bool = False,
) -> AnalysisRun:
    """Run one prepared question: reuse, or compute and store; returns the stored run."""
    question = prepared.question
    choice = prepared.choice
    version = choice.prompt_versions[question.key]
    if not force:
        reusable = await _find_reusable(db, auth, client_id, prepared)
        if reusable is not None:
            return await _store_reuse(db, auth, client_id, reusable, prepared, job_id)

    async with db.session() as session, session.begin():
        run = RunRepository(session, auth.scope).add(
            AnalysisRun(
                client_id=client_id,
                job_id=job_id,
                question=question.key,
                status="running",
                engine=choice.name,
                model=choice.model,
                prompt_version=version,
                input_fingerprint=prepared.fingerprint,
                params=prepared.params,
                usage={},
                posts_analyzed=len(prepared.data.posts),
                created_by_id=auth.user_id,
            )
        )
        await session.flush()
        audit.record(
            session,
            auth.actor,
            "analysis.run",
            "analysis_run",
            run.id,
            {"question": question.key, "engine": choice.name, "client_id": str(client_id)},
        )

    started = time.perf_counter()
    outcome: EngineResult | None = None
    error: str | None = None
    try:
        outcome = await choice.engine.run(question.key, prepared.data, RESULT_MODELS[question.key])
        # Validate again with our model: whatever an engine returns, what we store fits.
        validated = RESULT_MODELS[question.key].model_validate(outcome.result.model_dump())
        outcome = replace(outcome, result=validated)
    except (AnalysisEngineError, ValidationError) as exc:
        error = str(exc)[:4000]
    except Exception as exc:  # an engine bug must still end as a failed run, not a hang
        logger.exception("analysis %s failed", question.key)
        error = f"Internal error while computing {question.key}: {type(exc).__name__}"
    duration_ms = int((time.perf_counter() - started) * 1000)

    async with db.session() as session, session.begin():
        repo = RunRepository(session, auth.scope)
        stored = await repo.get(run.id)
        assert stored is not None
        stored.duration_ms = duration_ms
        if outcome is not None and error is None:
            stored.status = "succeeded"
            stored.result = outcome.result.model_dump(mode="json")
            stored.model = outcome.model
            stored.prompt_version = outcome.prompt_version
            stored.usage = outcome.usage.as_dict()
        else:
            stored.status = "failed"
            stored.error = error
        return stored


async def _store_reuse(
    db: Database,
    auth: AuthContext,
    client_id: uuid.UUID,
    source: AnalysisRun,
    prepared: Prepared,
    job_id: uuid.UUID | None,
) -> AnalysisRun:
    """A new run row pointing at the stored one, so history and jobs stay complete."""
    async with db.session() as session, session.begin():
        run = RunRepository(session, auth.scope).add(
            AnalysisRun(
                client_id=client_id,
                job_id=job_id,
                question=source.question,
                status="succeeded",
                engine=source.engine,
                model=source.model,
                prompt_version=source.prompt_version,
                input_fingerprint=source.input_fingerprint,
                params=prepared.params,
                result=source.result,
                usage={},
                duration_ms=0,
                posts_analyzed=source.posts_analyzed,
                created_by_id=auth.user_id,
                reused_from_id=source.reused_from_id or source.id,
            )
        )
        await session.flush()
        audit.record(
            session,
            auth.actor,
            "analysis.reuse",
            "analysis_run",
            run.id,
            {"question": source.question, "reused_from": str(run.reused_from_id)},
        )
        return run


async def run_question(
    db: Database,
    settings: Settings,
    auth: AuthContext,
    client_id: uuid.UUID,
    name: str,
    req: RunRequest,
    http_client: Any = None,
) -> AnalysisRun:
    question = registry.resolve(name)
    loaded = await load(db, settings, auth, client_id, req)
    previous = await _latest_base_results(db, auth, client_id) if question.depends_on else {}
    prepared = prepare(settings, loaded, question, req, previous=previous, http_client=http_client)
    return await execute(db, auth, client_id, prepared, force=req.force)


# --- jobs ------------------------------------------------------------------------------


def requested_questions(req: JobRequest) -> list[str]:
    names = req.questions or list(registry.ALL_KEYS)
    keys = [registry.resolve(n).key for n in names]
    return sorted(set(keys), key=lambda k: int(k[1:]))


async def create_job(
    db: Database, settings: Settings, auth: AuthContext, client_id: uuid.UUID, req: JobRequest
) -> AnalysisJob:
    keys = requested_questions(req)
    async with db.session() as session, session.begin():
        await clients_service.ensure_client(session, auth.scope, client_id)
        tenant = await tenants_service.get_current_tenant(session, auth.scope)
        # Fail fast on an unusable engine instead of in every question of the job.
        choose_engine(
            settings, tenants_service.engine_settings(tenant, settings), req.engine, req.model, None
        )
        job = JobRepository(session, auth.scope).add(
            AnalysisJob(
                client_id=client_id,
                status="queued",
                questions=keys,
                params=req.model_dump(mode="json", exclude={"questions"}),
                progress=0,
                created_by_id=auth.user_id,
            )
        )
        await session.flush()
        audit.record(
            session,
            auth.actor,
            "analysis.job",
            "analysis_job",
            job.id,
            {"questions": keys, "client_id": str(client_id)},
        )
    return job


async def _set_job(db: Database, auth: AuthContext, job_id: uuid.UUID, **values: Any) -> None:
    async with db.session() as session, session.begin():
        job = await JobRepository(session, auth.scope).get(job_id)
        if job is not None:
            for name, value in values.items():
                setattr(job, name, value)


async def work_job(
    db: Database, settings: Settings, auth: AuthContext, job_id: uuid.UUID, http_client: Any = None
) -> None:
    """Execute a job's dependency graph; safe to call again after an interruption."""
    async with db.session() as session:
        job, runs = await job_with_runs(session, auth, job_id)
    if job.status in ("succeeded", "failed"):
        return
    done = {r.question for r in runs if r.status == "succeeded"}
    async with db.session() as session, session.begin():
        await RunRepository(session, auth.scope).fail_interrupted(
            job_id, "Interrupted (the worker stopped); the job ran it again"
        )
    await _set_job(
        db,
        auth,
        job_id,
        status="running",
        started_at=datetime.now(UTC),
        progress=_progress(len(done), len(job.questions)),
    )
    req = RunRequest.model_validate(job.params)
    finished = set(done)
    failures: dict[str, str] = {}

    async def one(key: str, loaded: Loaded, previous: dict[str, AnalysisRun]) -> None:
        try:
            prepared = prepare(
                settings,
                loaded,
                registry.QUESTIONS[key],
                req,
                previous=previous,
                http_client=http_client,
            )
            run = await execute(db, auth, job.client_id, prepared, job_id=job_id, force=req.force)
            if run.status != "succeeded":
                failures[key] = run.error or "failed"
        except Exception as exc:  # one question's failure must not lose the others
            logger.exception("job %s: %s failed", job_id, key)
            failures[key] = str(exc)[:500] or type(exc).__name__
        finished.add(key)
        await _set_job(db, auth, job_id, progress=_progress(len(finished), len(job.questions)))

    levels = registry.execution_levels([q for q in job.questions if q not in done])
    # The window is read and enriched once for the whole job: every question of every
    # level shares it (one copy of the posts in memory, one enrichment).
    try:
        loaded = await load(db, settings, auth, job.client_id, req) if levels else None
    except Exception as exc:  # e.g. the client was deleted, or the window grew too big
        logger.exception("job %s: could not load its input", job_id)
        await _set_job(
            db,
            auth,
            job_id,
            status="failed",
            progress=100,
            finished_at=datetime.now(UTC),
            error=f"Could not read the input: {getattr(exc, 'detail', exc)}",
        )
        return
    try:
        for level in levels:
            assert loaded is not None
            previous = {}
            if any(registry.QUESTIONS[k].depends_on for k in level):
                previous = await _previous_for(db, auth, job.client_id, job_id)
            await asyncio.gather(*(one(key, loaded, previous) for key in level))
        await _set_job(
            db,
            auth,
            job_id,
            status="failed" if failures else "succeeded",
            progress=100,
            finished_at=datetime.now(UTC),
            error="; ".join(f"{k}: {v}" for k, v in sorted(failures.items())) or None,
        )
    finally:
        del loaded  # the window's posts: the largest thing a worker holds
        await asyncio.to_thread(release_memory, analysis_caches=True)


async def _previous_for(
    db: Database, auth: AuthContext, client_id: uuid.UUID, job_id: uuid.UUID
) -> dict[str, AnalysisRun]:
    """Q1-Q8 results for Q9/Q10: this job's own where it has them, else the latest."""
    async with db.session() as session:
        repo = RunRepository(session, auth.scope)
        latest = await repo.latest_succeeded(client_id, BASE_QUESTIONS)
        own = {r.question: r for r in await repo.for_job(job_id) if r.status == "succeeded"}
    return {**latest, **own}


def _progress(done: int, total: int) -> int:
    return 100 if total == 0 else min(100, round(100 * done / total))


# --- reads -----------------------------------------------------------------------------


async def get_run(session: AsyncSession, auth: AuthContext, run_id: uuid.UUID) -> AnalysisRun:
    run = await RunRepository(session, auth.scope).get(run_id)
    if run is None:
        raise NotFound("Analysis run not found")
    return run


async def list_runs(
    session: AsyncSession, auth: AuthContext, client_id: uuid.UUID, **filters: Any
) -> tuple[list[AnalysisRun], int]:
    await clients_service.ensure_client(session, auth.scope, client_id)
    return await RunRepository(session, auth.scope).page(client_id, **filters)


async def insights(
    session: AsyncSession, auth: AuthContext, client_id: uuid.UUID
) -> dict[str, AnalysisRun]:
    await clients_service.ensure_client(session, auth.scope, client_id)
    return await RunRepository(session, auth.scope).latest_succeeded(client_id, registry.ALL_KEYS)


async def job_with_runs(
    session: AsyncSession, auth: AuthContext, job_id: uuid.UUID
) -> tuple[AnalysisJob, list[AnalysisRun]]:
    job = await JobRepository(session, auth.scope).get(job_id)
    if job is None:
        raise NotFound("Job not found")
    return job, await RunRepository(session, auth.scope).for_job(job_id)


async def enqueue_job(jobs: Any, db: Database, auth: AuthContext, job_id: uuid.UUID) -> None:
    """Hand the job to the procrastinate queue (after the job row is committed)."""
    from procrastinate import tasks as procrastinate_tasks

    from app.jobs import QUEUE

    # Deferred through this app's job manager: the task objects stay bound to the
    # import-time app, which has no connection.
    deferrer = procrastinate_tasks.configure_task(
        name="analyses.run_job", job_manager=jobs.job_manager, queue=QUEUE
    )
    worker_job_id = await deferrer.defer_async(job_id=str(job_id))
    await _set_job(db, auth, job_id, worker_job_id=worker_job_id)


async def analyze_texts(texts: list[str], language: str) -> list[dict[str, Any]]:
    from app.ai.local import analyze_texts as analyze

    lang = None if language == "auto" else language
    results = await asyncio.to_thread(analyze, texts, lang)
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
