"""Durable jobs on procrastinate (PostgreSQL-backed): the app, the worker, recovery.

Tasks register on `jobs_app` at import; at run time `runtime_app(url)` binds them to a
connection pool on our database. In the embedded default the API process runs a worker
too (see app.main); docker-compose runs `pixely worker` as its own service.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import procrastinate

from app.core.embedded import to_libpq_url

logger = logging.getLogger(__name__)

QUEUE = "analyses"
# A worker that has not beaten its heart for this long is considered dead; its jobs
# are put back in the queue by the next worker that starts.
STALLED_AFTER_SECONDS = 30.0

jobs_app = procrastinate.App(
    connector=procrastinate.PsycopgConnector(),
    import_paths=["app.analyses.tasks"],
)


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
