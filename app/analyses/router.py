from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, status
from pydantic import WithJsonSchema

from app.analyses import ai_settings, registry, service
from app.analyses.schemas import (
    AiSettingsIn,
    AiSettingsOut,
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
from app.core.auth import AdminDep, AnalystDep, ReaderDep
from app.core.config import Settings
from app.core.db import Database
from app.core.errors import problem_responses
from app.core.pagination import Page, PageDep
from app.core.routing import API_PREFIX
from app.core.schemas import UtcDatetime
from app.core.session import SessionDep, SettingsDep

router = APIRouter(prefix=API_PREFIX, tags=["analyses"])

QUESTION_DOC = ", ".join(f"`{q.key}`/`{q.slug}`" for q in registry.QUESTIONS)
# A question by key or slug; the schema lists them (an unknown one is a 404).
QUESTION_SCHEMA = {"type": "string", "enum": list(registry.NAMES)}
QuestionParam = Annotated[str, WithJsonSchema(QUESTION_SCHEMA)]
RUN = problem_responses(401, 403, 404, 409, 422)


def _state(request: Request) -> tuple[Database, Settings, Any]:
    state = request.app.state
    return state.db, state.settings, getattr(state, "http_client", None)


@router.post(
    "/clients/{client_id}/analyses/{question}",
    response_model=RunOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 409, 422, 504),
    summary="Run one question for a client; the stored run is returned",
    description=f"Questions: {QUESTION_DOC}. The run is stored (result as JSON) before it "
    "is returned. A stored result for the same input, engine, model and prompt version is "
    "re-used unless `force` is set (`reused_from_id` tells). A failed run is stored as "
    "failed with its error. Send `Idempotency-Key` to retry safely. A model that does not "
    "answer within `ANALYSIS_RUN_DEADLINE_SECONDS` (a server setting) is a 504, and the run "
    "is stored as failed.",
)
async def run_question(
    request: Request,
    client_id: uuid.UUID,
    question: Annotated[
        QuestionParam,
        Path(description=f"{registry.KEY_RANGE} or a slug", examples=[registry.KEYS[0]]),
    ],
    auth: AnalystDep,
    idempotency_key: idempotency.IdempotencyKey = None,
    body: Annotated[RunRequest | None, Body()] = None,
) -> Any:
    db, settings, http_client = _state(request)
    req = body or RunRequest()
    key_hash = idempotency.fingerprint("POST", request.url.path, req.model_dump(mode="json"))
    return await service.run_question_once(
        db,
        settings,
        auth.actor,
        client_id,
        question,
        req,
        http_client,
        idempotency_key=idempotency_key,
        request_hash=key_hash,
    )


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
    return await service.create_job(
        db,
        settings,
        auth.actor,
        client_id,
        req,
        idempotency_key=idempotency_key,
        request_hash=key_hash,
    )


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    responses=problem_responses(401, 404, 422),
    summary="A job's status, progress and runs",
)
async def get_job(job_id: uuid.UUID, session: SessionDep, auth: ReaderDep) -> JobOut:
    job, runs = await service.job_with_runs(session, auth.scope, job_id)
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
    question: Annotated[
        QuestionParam | None, Query(description=f"{registry.KEY_RANGE} or a slug")
    ] = None,
    engine: EngineName | None = None,
    status_: Annotated[RunStatus | None, Query(alias="status")] = None,
    since: Annotated[UtcDatetime | None, Query(description="created_at >= since")] = None,
    until: Annotated[UtcDatetime | None, Query(description="created_at < until")] = None,
    job_id: uuid.UUID | None = None,
) -> Page[RunOut]:
    key = registry.resolve(question).key if question else None
    runs, total = await service.list_runs(
        session,
        auth.scope,
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
    return Page(
        items=[RunOut.of(r) for r in runs], total=total, limit=page.limit, offset=page.offset
    )


@router.get(
    "/analyses/{run_id}",
    response_model=RunOut,
    responses=problem_responses(401, 404, 422),
    summary="One run",
)
async def get_run(run_id: uuid.UUID, session: SessionDep, auth: ReaderDep) -> RunOut:
    return RunOut.of(await service.get_run(session, auth.scope, run_id))


@router.get(
    "/clients/{client_id}/insights",
    response_model=Insights,
    responses=problem_responses(401, 404, 422),
    summary="The latest succeeded result of every question for a client",
)
async def insights(client_id: uuid.UUID, session: SessionDep, auth: ReaderDep) -> Insights:
    latest = await service.insights(session, auth.scope, client_id)
    return Insights(
        client_id=client_id,
        items={k: RunOut.of(r) for k, r in latest.items()},
        missing=[k for k in registry.KEYS if k not in latest],
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


@router.get(
    "/tenant/ai-settings",
    response_model=AiSettingsOut,
    tags=["tenant"],
    summary="The tenant's analysis engine settings (the API key is never shown)",
    responses=problem_responses(401, 403),
)
async def get_ai_settings(session: SessionDep, auth: AdminDep) -> AiSettingsOut:
    return await ai_settings.get(session, auth)


@router.put(
    "/tenant/ai-settings",
    response_model=AiSettingsOut,
    tags=["tenant"],
    summary="Set the tenant's engine, model, endpoint, API key and prompt overrides",
    responses=problem_responses(401, 403, 422),
)
async def put_ai_settings(
    data: AiSettingsIn, settings: SettingsDep, session: SessionDep, auth: AdminDep
) -> AiSettingsOut:
    return await ai_settings.update(session, auth, settings, data)
