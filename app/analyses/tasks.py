"""procrastinate tasks of the analyses domain."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from procrastinate import RetryStrategy

from app.analyses import service
from app.core.config import Settings
from app.core.db import Database
from app.core.jobs import QUEUE, Chore, jobs_app


@dataclass
class WorkerContext:
    """What tasks need from the process that runs them (set when a worker starts)."""

    db: Database
    settings: Settings
    http_client: Any = None


_context: WorkerContext | None = None


def set_worker_context(context: WorkerContext | None) -> None:
    global _context
    _context = context


# Retried when a worker stops mid-job or an attempt fails (the database went away...), 5,
# 10, 15... seconds later; work_job skips the questions already answered. A job whose
# attempts all failed is failed by the upkeep (service.fail_abandoned_work).
JOB_RETRY = RetryStrategy(max_attempts=6, linear_wait=5)


def chores(context: WorkerContext) -> list[Chore]:
    """The analyses' upkeep for a worker (app.core.jobs.run_worker runs it now and then)."""
    return [lambda: service.fail_abandoned_work(context.db, context.settings)]


@jobs_app.task(name=service.RUN_JOB_TASK, queue=QUEUE, retry=JOB_RETRY)
async def run_analysis_job(job_id: str) -> None:
    if _context is None:
        raise RuntimeError("worker context not set: start workers through app.core.jobs")
    await service.work_job(
        _context.db, _context.settings, uuid.UUID(job_id), http_client=_context.http_client
    )
