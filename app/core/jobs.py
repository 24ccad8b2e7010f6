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
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import procrastinate
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.embedded import to_libpq_url

logger = logging.getLogger(__name__)

QUEUE = "analyses"
# A worker that has not beaten its heart for this long is considered dead; its jobs are
# put back in the queue by any live worker (each looks every CHORES_EVERY_SECONDS).
STALLED_AFTER_SECONDS = 30.0
CHORES_EVERY_SECONDS = 15.0

# Upkeep a worker runs now and then beside its jobs (the domains' own: e.g. failing the
# runs a dead process left 'running'); given by whoever starts the worker.
Chore = Callable[[], Awaitable[Any]]

# The modules that define tasks (imported by name when a worker starts: app.core imports
# no domain).
TASK_MODULES = ["app.analyses.tasks", "app.documents.tasks"]

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
    chores: Sequence[Chore] = (),
    chores_every: float = CHORES_EVERY_SECONDS,
) -> None:
    """Work the analyses queue until cancelled (or, with wait=False, until it is empty).

    Before it starts, and every `chores_every` seconds while it waits for jobs, it puts
    back in the queue the jobs of workers that died (no heartbeat) and runs `chores`.
    """
    await upkeep(app, chores)
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
    if not wait:
        await app.run_worker_async(**options)
        return
    keeper = asyncio.create_task(_keep_up(app, chores, chores_every), name="pixely-job-upkeep")
    try:
        await app.run_worker_async(**options)
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper


async def upkeep(app: procrastinate.App, chores: Sequence[Chore] = ()) -> None:
    """One round: stalled jobs back in the queue, then every chore (each guarded: one
    failing, e.g. while the database is away, does not stop the worker)."""
    for step in (lambda: recover_stalled_jobs(app), *chores):
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("job upkeep failed; it runs again in a while")


async def _keep_up(app: procrastinate.App, chores: Sequence[Chore], every: float) -> None:
    while True:
        await asyncio.sleep(every)
        await upkeep(app, chores)


def start_background_worker(
    app: procrastinate.App, concurrency: int, chores: Sequence[Chore] = ()
) -> asyncio.Task[None]:
    async def guarded() -> None:
        try:
            await run_worker(app, concurrency=concurrency, chores=chores)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("the in-process job worker stopped")

    return asyncio.create_task(guarded(), name="pixely-job-worker")
