from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, status
from fastapi.responses import JSONResponse

from app.analyses import registry, service
from app.analyses.models import AnalysisRun
from app.analyses.schemas import (
    EngineName,
    Insights,
    JobCreated,
    JobOut,
    JobRequest,
    RunOut,
    RunRequest,
    RunStatus,
    RunSummary,
    TextAnalysisOut,
    TextAnalyzeRequest,
    TextAnalyzeResponse,
)
from app.core import idempotency
from app.core.auth import AnalystDep, ReaderDep
from app.core.config import Settings
from app.core.db import Database
from app.core.errors import problem_responses
from app.core.pagination import Page, PageDep
from app.core.routing import API_PREFIX
from app.core.session import SessionDep

router = APIRouter(prefix=API_PREFIX, tags=["analyses"])

QUESTION_DOC = ", ".join(f"`{q.key}`/`{q.slug}`" for q in registry.QUESTIONS.values())
RUN = problem_responses(401, 403, 404, 409, 422)


def _state(request: Request) -> tuple[Database, Settings, Any]:
    state = request.app.state
    return state.db, state.settings, getattr(state, "http_client", None)


def run_out(run: AnalysisRun) -> RunOut:
    return RunOut(
        id=run.id,
        client_id=run.client_id,
        job_id=run.job_id,
        question=run.question,
        slug=registry.QUESTIONS[run.question].slug,
        status=run.status,
        engine=run.engine,
        model=run.model,
        prompt_version=run.prompt_version,
        input_fingerprint=run.input_fingerprint,
        params=run.params,
        result=run.result,
        error=run.error,
        usage=run.usage,
        posts_analyzed=run.posts_analyzed,
        duration_ms=run.duration_ms,
        reused_from_id=run.reused_from_id,
        created_at=run.created_at,
    )


@router.post(
    "/clients/{client_id}/analyses/{question}",
    response_model=RunOut,
    status_code=status.HTTP_201_CREATED,
    responses=RUN,
    summary="Run one question for a client; the stored run is returned",
    description=f"Questions: {QUESTION_DOC}. The run is stored (result as JSON) before it "
    "is returned. A stored result for the same input, engine, model and prompt version is "
    "re-used unless `force` is set (`reused_from_id` tells). A failed run is stored as "
    "failed with its error. Send `Idempotency-Key` to retry safely.",
)
async def run_question(
    request: Request,
    client_id: uuid.UUID,
    question: Annotated[str, Path(description="q1..q10 or a slug", examples=["q7"])],
    auth: AnalystDep,
    idempotency_key: idempotency.IdempotencyKey = None,
    body: Annotated[RunRequest | None, Body()] = None,
) -> Any:
    db, settings, http_client = _state(request)
    req = body or RunRequest()
    key_hash = idempotency.fingerprint("POST", request.url.path, req.model_dump(mode="json"))
    if (replayed := await idempotency.replay(db, auth, idempotency_key, key_hash)) is not None:
        return replayed
    run = await service.run_question(db, settings, auth, client_id, question, req, http_client)
    out = run_out(run).model_dump(mode="json")
    await idempotency.remember(db, auth, idempotency_key, key_hash, 201, out)
    return JSONResponse(out, status_code=201)


@router.post(
    "/clients/{client_id}/analyses",
    response_model=JobCreated,
    status_code=status.HTTP_202_ACCEPTED,
    responses=RUN,
    summary="Run several questions (default all ten) as a durable job",
    description="Answers 202 with the job and a Location header; follow progress at "
    "GET /api/v1/jobs/{job_id}. Q1-Q8 run concurrently, then Q9 and Q10 on their results.",
)
async def run_job(
    request: Request,
    client_id: uuid.UUID,
    auth: AnalystDep,
    idempotency_key: idempotency.IdempotencyKey = None,
    body: Annotated[JobRequest | None, Body()] = None,
) -> Any:
    db, settings, _ = _state(request)
    req = body or JobRequest()
    key_hash = idempotency.fingerprint("POST", request.url.path, req.model_dump(mode="json"))
    if (replayed := await idempotency.replay(db, auth, idempotency_key, key_hash)) is not None:
        return replayed
    job = await service.create_job(db, settings, auth, client_id, req)
    await service.enqueue_job(request.app.state.jobs, db, auth, job.id)
    out = JobCreated(job_id=job.id, status="queued").model_dump(mode="json")
    headers = {"Location": f"/api/v1/jobs/{job.id}"}
    await idempotency.remember(db, auth, idempotency_key, key_hash, 202, out, headers)
    return JSONResponse(out, status_code=202, headers=headers)


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    responses=problem_responses(401, 404, 422),
    summary="A job's status, progress and runs",
)
async def get_job(job_id: uuid.UUID, session: SessionDep, auth: ReaderDep) -> JobOut:
    job, runs = await service.job_with_runs(session, auth, job_id)
    return JobOut(
        id=job.id,
        client_id=job.client_id,
        status=job.status,
        progress=job.progress,
        questions=job.questions,
        params=job.params,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        runs=[
            RunSummary(
                id=r.id,
                question=r.question,
                status=r.status,
                error=r.error,
                duration_ms=r.duration_ms,
            )
            for r in runs
        ],
    )


@router.get(
    "/clients/{client_id}/analyses",
    response_model=Page[RunOut],
    responses=problem_responses(401, 404, 422),
    summary="History of a client's runs",
)
async def list_runs(
    client_id: uuid.UUID,
    session: SessionDep,
    auth: ReaderDep,
    page: PageDep,
    question: Annotated[str | None, Query(description="q1..q10 or a slug")] = None,
    engine: EngineName | None = None,
    status_: Annotated[RunStatus | None, Query(alias="status")] = None,
    since: Annotated[datetime | None, Query(description="created_at >= since")] = None,
    until: Annotated[datetime | None, Query(description="created_at < until")] = None,
    job_id: uuid.UUID | None = None,
) -> Page[RunOut]:
    key = registry.resolve(question).key if question else None
    runs, total = await service.list_runs(
        session,
        auth,
        client_id,
        limit=page.limit,
        offset=page.offset,
        question=key,
        engine=engine,
        status=status_,
        since=since,
        until=until,
        job_id=job_id,
    )
    return Page(items=[run_out(r) for r in runs], total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/analyses/{run_id}",
    response_model=RunOut,
    responses=problem_responses(401, 404, 422),
    summary="One run",
)
async def get_run(run_id: uuid.UUID, session: SessionDep, auth: ReaderDep) -> RunOut:
    return run_out(await service.get_run(session, auth, run_id))


@router.get(
    "/clients/{client_id}/insights",
    response_model=Insights,
    responses=problem_responses(401, 404, 422),
    summary="The latest succeeded result of every question for a client",
)
async def insights(client_id: uuid.UUID, session: SessionDep, auth: ReaderDep) -> Insights:
    latest = await service.insights(session, auth, client_id)
    return Insights(
        client_id=client_id,
        items={k: run_out(r) for k, r in latest.items()},
        missing=[k for k in registry.ALL_KEYS if k not in latest],
    )


@router.post(
    "/analyze/text",
    response_model=TextAnalyzeResponse,
    responses=problem_responses(401, 422),
    summary="Language, sentiment, emotion and keywords of up to 1,000 texts (nothing is stored)",
)
async def analyze_text(data: TextAnalyzeRequest, auth: ReaderDep) -> TextAnalyzeResponse:
    results = await service.analyze_texts(data.texts, data.language)
    return TextAnalyzeResponse(items=[TextAnalysisOut(**r) for r in results], engine="local")
