"""Run the API in N uvicorn worker processes, each with its own listening socket.

uvicorn's own `--workers` shares one listening socket between the processes: whichever
process wakes first accepts, so a burst of keep-alive connections can land 45/19 on two
workers, and the busier one sets the latency tail for as long as the connections live.
Here every worker binds the port with SO_REUSEPORT, and the kernel spreads new
connections over the sockets by their addresses (on Linux; elsewhere, and for one
worker, this falls back to uvicorn's own runner).

The parent only supervises: it restarts a worker that dies and stops them all on
SIGINT/SIGTERM.

Forwarded headers (X-Forwarded-For, X-Forwarded-Proto) are uvicorn's to apply, and only
from the proxies in FORWARDED_ALLOW_IPS (`proxy_options`): the client address is what the
audit log records and the login limit counts.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import signal
import socket
import time
from types import FrameType
from typing import Any

from app.core.config import Settings

logger = logging.getLogger(__name__)

APP = "app.main:create_app"
_RESTART_PAUSE = 1.0  # seconds between restarts of a crashing worker


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's handling of X-Forwarded-For and X-Forwarded-Proto: believed only from
    the peers in FORWARDED_ALLOW_IPS (uvicorn's own default, 127.0.0.1, would let any
    local process claim any address), not at all when it is empty. Always explicit:
    uvicorn would otherwise read its own FORWARDED_ALLOW_IPS variable."""
    allowed = settings.forwarded_allow_ips
    return {"proxy_headers": bool(allowed), "forwarded_allow_ips": allowed or "127.0.0.1"}


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for `pixely serve` (its worker processes or uvicorn's runner)."""
    return {"factory": True, "log_config": None, "access_log": False, **proxy_options(settings)}


def reuse_port_available() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) with SO_REUSEPORT, so several can share the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _worker(host: str, port: int, options: dict[str, Any]) -> None:
    import uvicorn

    sock = listening_socket(host, port)
    config = uvicorn.Config(APP, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[sock])


def serve(host: str, port: int, workers: int, settings: Settings) -> None:
    """Serve the API; returns when stopped by SIGINT/SIGTERM."""
    import uvicorn

    options = uvicorn_options(settings)
    if workers <= 1 or not reuse_port_available():
        uvicorn.run(APP, host=host, port=port, workers=workers, **options)
        return
    # Fail here, with a clear message, if the port is taken (not in N workers).
    listening_socket(host, port).close()
    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    def start() -> Any:
        process = context.Process(target=_worker, args=(host, port, options), daemon=False)
        process.start()
        return process

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    processes = [start() for _ in range(workers)]
    try:
        while not stopping:
            multiprocessing.connection.wait([p.sentinel for p in processes], timeout=0.5)
            for i, process in enumerate(processes):
                if not process.is_alive() and not stopping:
                    logger.warning(
                        "worker %s exited (%s); restarting", process.pid, process.exitcode
                    )
                    time.sleep(_RESTART_PAUSE)
                    processes[i] = start()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # uvicorn shuts down gracefully on SIGTERM
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
