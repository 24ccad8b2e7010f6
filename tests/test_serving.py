"""`pixely serve --workers N`: N uvicorn workers, each with its own SO_REUSEPORT socket,
supervised (a dead worker is replaced; SIGTERM stops them all)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from app.core import serving

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _workers(parent: psutil.Process) -> list[psutil.Process]:
    """The uvicorn workers (children that listen), not multiprocessing's helpers."""
    out = []
    for child in parent.children():
        try:
            if any(c.status == psutil.CONN_LISTEN for c in child.net_connections("tcp")):
                out.append(child)
        except psutil.Error:
            pass
    return out


def _wait(predicate: object, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_two_workers_share_the_port_and_are_supervised(migrated_url: str) -> None:
    if not serving.reuse_port_available():
        pytest.skip("SO_REUSEPORT is not available on this platform")
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": migrated_url,
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "WARNING",
        "RUN_WORKER_IN_PROCESS": "false",
    }
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "app.cli", "serve", "--no-prepare"),
            *("--port", str(port), "--workers", "2"),
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    parent = psutil.Process(proc.pid)
    workers: set[int] = set()
    try:
        _wait(lambda: len(_workers(parent)) == 2)
        workers = {w.pid for w in _workers(parent)}
        listening = {
            c.pid
            for c in psutil.net_connections("tcp")
            if c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN
        }
        assert listening == workers  # one listening socket per worker
        # Keep-alive connections land on both workers (the kernel spreads them).
        clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}") for _ in range(20)]
        try:
            _wait(lambda: all(c.get("/health").status_code == 200 for c in clients))
            holders = {
                c.pid
                for c in psutil.net_connections("tcp")
                if c.laddr and c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED
            }
            assert holders == workers
        finally:
            for c in clients:
                c.close()
        # A worker that dies is replaced.
        victim = next(iter(workers))
        os.kill(victim, signal.SIGKILL)
        _wait(lambda: victim not in {w.pid for w in _workers(parent)})
        _wait(lambda: len(_workers(parent)) == 2)
        workers = {w.pid for w in _workers(parent)}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
            _wait(lambda: c.get("/health").status_code == 200)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=40)
    assert proc.returncode == 0
    assert not any(
        psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        for pid in workers
    )
