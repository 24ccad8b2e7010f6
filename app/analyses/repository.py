from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from app.analyses.models import AnalysisJob, AnalysisRun
from app.core.repository import TenantRepository


class RunRepository(TenantRepository[AnalysisRun]):
    model = AnalysisRun

    async def find_reusable(
        self,
        client_id: uuid.UUID,
        question: str,
        fingerprint: str,
        engine: str,
        model: str | None,
        prompt_version: str | None,
    ) -> AnalysisRun | None:
        query = (
            self._scoped()
            .where(
                AnalysisRun.client_id == client_id,
                AnalysisRun.question == question,
                AnalysisRun.input_fingerprint == fingerprint,
                AnalysisRun.engine == engine,
                AnalysisRun.model == model,
                AnalysisRun.prompt_version == prompt_version,
                AnalysisRun.status == "succeeded",
            )
            .order_by(AnalysisRun.created_at.desc())
            .limit(1)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def page(
        self,
        client_id: uuid.UUID,
        *,
        limit: int,
        offset: int,
        question: str | None,
        engine: str | None,
        status: str | None,
        since: datetime | None,
        until: datetime | None,
        job_id: uuid.UUID | None,
    ) -> tuple[list[AnalysisRun], int]:
        query = self._scoped().where(AnalysisRun.client_id == client_id)
        if question:
            query = query.where(AnalysisRun.question == question)
        if engine:
            query = query.where(AnalysisRun.engine == engine)
        if status:
            query = query.where(AnalysisRun.status == status)
        if since:
            query = query.where(AnalysisRun.created_at >= since)
        if until:
            query = query.where(AnalysisRun.created_at < until)
        if job_id:
            query = query.where(AnalysisRun.job_id == job_id)
        order = (AnalysisRun.created_at.desc(), AnalysisRun.id.desc())
        rows, total = await self.paginate(query, order, limit=limit, offset=offset)
        return list(rows.scalars()), total

    async def latest_succeeded(
        self, client_id: uuid.UUID, questions: Sequence[str]
    ) -> dict[str, AnalysisRun]:
        """The newest succeeded run per question (one query, DISTINCT ON)."""
        query = (
            self._scoped()
            .where(
                AnalysisRun.client_id == client_id,
                AnalysisRun.status == "succeeded",
                AnalysisRun.question.in_(list(questions)),
            )
            .order_by(AnalysisRun.question, AnalysisRun.created_at.desc())
            .ext(distinct_on(AnalysisRun.question))
        )
        rows = await self.session.execute(query)
        return {run.question: run for run in rows.scalars()}

    async def for_job(self, job_id: uuid.UUID) -> list[AnalysisRun]:
        query = self._scoped().where(AnalysisRun.job_id == job_id).order_by(AnalysisRun.created_at)
        return list((await self.session.execute(query)).scalars())

    async def fail_interrupted(self, job_id: uuid.UUID, message: str) -> None:
        await self.session.execute(
            update(AnalysisRun)
            .where(
                AnalysisRun.tenant_id == self.tenant_id,
                AnalysisRun.job_id == job_id,
                AnalysisRun.status.in_(("queued", "running")),
            )
            .values(status="failed", error=message)
        )


class JobRepository(TenantRepository[AnalysisJob]):
    model = AnalysisJob


async def job_for_worker(session: AsyncSession, job_id: uuid.UUID) -> AnalysisJob | None:
    """A job by id alone, for the worker that runs it (it learns the tenant from the row;
    the one read of this domain that is not tenant-scoped)."""
    found = await session.execute(select(AnalysisJob).where(AnalysisJob.id == job_id))
    return found.scalar_one_or_none()


# Upkeep across tenants (run by job workers, never on behalf of a request).


async def fail_stale_runs(session: AsyncSession, started_before: datetime, message: str) -> int:
    """Fail every run still 'running' that started before `started_before` (the process
    computing it stopped); returns how many."""
    done = await session.execute(
        update(AnalysisRun)
        .where(AnalysisRun.status == "running", AnalysisRun.created_at < started_before)
        .values(status="failed", error=message)
    )
    return int(getattr(done, "rowcount", 0) or 0)


# Jobs whose place in the queue is gone or ended without finishing them: every attempt
# failed (or it was cancelled or deleted).
_LOST_JOBS = text(
    "WITH lost AS ("
    " SELECT j.id, coalesce(p.attempts, 0) AS attempts FROM analysis_job j"
    " LEFT JOIN procrastinate_jobs p ON p.id = j.worker_job_id"
    " WHERE j.status IN ('queued', 'running') AND j.worker_job_id IS NOT NULL"
    " AND (p.id IS NULL OR p.status::text IN ('failed', 'cancelled', 'aborted'))"
    " FOR UPDATE OF j SKIP LOCKED), "
    "runs AS (UPDATE analysis_run r SET status = 'failed', error = :run_error"
    " FROM lost WHERE r.job_id = lost.id AND r.status IN ('queued', 'running'))"
    " UPDATE analysis_job j SET status = 'failed', progress = 100, finished_at = now(),"
    " error = replace(:job_error, '{attempts}', lost.attempts::text)"
    " FROM lost WHERE j.id = lost.id RETURNING j.id"
)


async def fail_lost_jobs(session: AsyncSession, job_error: str, run_error: str) -> int:
    """Fail the jobs the queue gave up on, and their unfinished runs. `job_error` may
    hold `{attempts}`."""
    found = await session.execute(_LOST_JOBS, {"job_error": job_error, "run_error": run_error})
    return len(found.all())


__all__ = [
    "JobRepository",
    "RunRepository",
    "fail_lost_jobs",
    "fail_stale_runs",
    "job_for_worker",
]
