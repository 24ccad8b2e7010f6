"""Durable jobs on procrastinate (PostgreSQL-backed): the app, the worker, recovery, and
enqueueing inside the caller's transaction.

Tasks register on `jobs_app` when their module is imported (`TASK_MODULES`, imported by
the worker); at run time `runtime_app(url)` binds them to a connection pool on our
database. In the embedded default the API process runs a worker too (see app.main);
docker-compose runs `pixely worker` as its own service.

`defer` enqueues a task with SQL on the caller's SQLAlchemy session, so a job's row and
its place in the queue commit (or roll back) together: a job is never created without
being queued, nor queued without its row.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any

import procrastinate
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.embedded import to_libpq_url

logger = logging.getLogger(__name__)

QUEUE = "analyses"
# A worker that has not beaten its heart for this long is considered dead; its jobs
# are put back in the queue by the next worker that starts.
STALLED_AFTER_SECONDS = 30.0

# The modules that define tasks (imported by name when a worker starts: app.core imports
# no domain).
TASK_MODULES = ["app.analyses.tasks"]

jobs_app = procrastinate.App(connector=procrastinate.PsycopgConnector(), import_paths=TASK_MODULES)

# procrastinate's own enqueue function (its schema is created by our migrations from the
# installed release; `_v1` is its stable, versioned SQL interface).
_DEFER_SQL = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW("
    "CAST(:queue AS varchar), CAST(:task AS varchar), CAST(:priority AS integer), "
    "CAST(:lock AS text), CAST(:queueing_lock AS text), CAST(:args AS jsonb), "
    "CAST(NULL AS timestamptz))::procrastinate_job_to_defer_v1])) AS id"
)


async def defer(
    session: AsyncSession,
    task_name: str,
    kwargs: Mapping[str, Any],
    *,
    queue: str = QUEUE,
    lock: str | None = None,
) -> int:
    """Enqueue `task_name(**kwargs)` in the session's transaction; the queue's job id.

    `lock`: jobs with the same lock never run at the same time.
    """
    found = await session.execute(
        _DEFER_SQL,
        {
            "queue": queue,
            "task": task_name,
            "priority": 0,
            "lock": lock,
            "queueing_lock": None,
            "args": json.dumps(dict(kwargs)),
        },
    )
    return int(found.scalar_one())


def runtime_app(database_url: str, *, max_size: int = 4) -> procrastinate.App:
    connector = procrastinate.PsycopgConnector(
        conninfo=to_libpq_url(database_url), min_size=1, max_size=max_size
    )
    return jobs_app.with_connector(connector)


async def recover_stalled_jobs(app: procrastinate.App) -> int:
    """Retry the jobs of workers that died mid-job (no heartbeat)."""
    stalled = list(
        await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_SECONDS)
    )
    for job in stalled:
        logger.warning("retrying stalled job %s (%s)", job.id, job.task_name)
        await app.job_manager.retry_job(job)
    return len(stalled)


async def run_worker(
    app: procrastinate.App,
    *,
    concurrency: int,
    wait: bool = True,
    name: str | None = None,
    graceful_timeout: float = 30.0,
    install_signal_handlers: bool = False,
) -> None:
    """Work the analyses queue until cancelled (or, with wait=False, until it is empty)."""
    await recover_stalled_jobs(app)
    options: dict[str, Any] = {
        "queues": [QUEUE],
        "concurrency": concurrency,
        "wait": wait,
        "install_signal_handlers": install_signal_handlers,
        "name": name or "pixely-worker",
        "update_heartbeat_interval": 5.0,
        "stalled_worker_timeout": STALLED_AFTER_SECONDS,
        "fetch_job_polling_interval": 2.0,
        # On shutdown, running jobs get this long to finish; then they are aborted and,
        # as the task retries on shutdown, queued again for the next worker.
        "shutdown_graceful_timeout": graceful_timeout,
    }
    await app.run_worker_async(**options)


def start_background_worker(app: procrastinate.App, concurrency: int) -> asyncio.Task[None]:
    async def guarded() -> None:
        try:
            await run_worker(app, concurrency=concurrency)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("the in-process job worker stopped")

    return asyncio.create_task(guarded(), name="pixely-job-worker")
