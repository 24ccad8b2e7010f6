"""The embedded PostgreSQL is supervised: `pixely serve` (no DATABASE_URL) notices when the
server it started stops, however it stopped, and starts it again, with a log line.
Meanwhile requests are answered 503 with Retry-After on a keep-alive connection that
stays open, then 200 again."""

from __future__ import annotations

import http.client
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from app.core.embedded import EmbeddedSupervisor, server_running, start_embedded

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "pixely serve exited"
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/ready")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError("pixely serve did not become ready")


def test_pixely_serve_restarts_its_embedded_database(tmp_path: Path) -> None:
    port = _free_port()
    data = tmp_path / "data"
    env = {
        **os.environ,
        "DATA_DIR": str(data),
        "ENVIRONMENT": "test",
        "SEED_DEMO": "false",
        "RUN_WORKER_IN_PROCESS": "false",
        "LOG_LEVEL": "INFO",
        "EMBEDDED_DB_CHECK_SECONDS": "0.5",
    }
    for name in ("DATABASE_URL", "PIXELY_EMBEDDED_URL"):
        env.pop(name, None)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    pgdata = data / "pgdata"
    try:
        _wait_ready(port, proc)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/ready")
        first = conn.getresponse()
        first.read()
        assert first.status == 200
        sock = conn.sock  # the keep-alive connection: it must survive the outage

        pid = _postmaster_pid(pgdata)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)  # a crash: no shutdown, no clean-up
        answers: list[tuple[int, str | None]] = []
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            conn.request("GET", "/ready")
            r = conn.getresponse()
            r.read()
            assert conn.sock is sock, "the server closed the keep-alive connection"
            answers.append((r.status, r.getheader("Retry-After")))
            if r.status == 200 and any(s == 503 for s, _ in answers):
                break
            time.sleep(0.1)
        statuses = [s for s, _ in answers]
        assert 503 in statuses, statuses
        assert statuses[-1] == 200, statuses[-10:]
        assert set(statuses) <= {200, 503}, statuses
        assert all(after for s, after in answers if s == 503)
        new_pid = _postmaster_pid(pgdata)
        assert new_pid is not None
        assert new_pid != pid
        conn.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    text = log.read_text(errors="replace")
    assert "embedded PostgreSQL restarted" in text, text[-3000:]
    # Stopped with the server, and not started again by its supervisor.
    last = _postmaster_pid(pgdata)
    deadline = time.monotonic() + 10
    while last is not None and _alive(last) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert last is None or not _alive(last)


def test_the_supervisor_restarts_a_stopped_server_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = start_embedded(tmp_path / "pgdata", cleanup_mode="delete")
    supervisor = EmbeddedSupervisor(server, interval=0.2)
    try:
        assert server_running(server)
        assert supervisor.check() is False  # running: nothing to do
        pid = server.get_pid()
        os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown, as `pg_ctl stop` does
        deadline = time.monotonic() + 20
        while _alive(pid):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert not server_running(server)
        with caplog.at_level(logging.WARNING, logger="app.core.embedded"):
            supervisor.start()
            deadline = time.monotonic() + 20
            while not server_running(server):
                assert time.monotonic() < deadline, "not restarted"
                time.sleep(0.1)
            supervisor.stop()
        assert server.get_pid() != pid
        messages = [r.getMessage() for r in caplog.records if r.name == "app.core.embedded"]
        assert any("not running; restarting" in m for m in messages), messages
        assert any("restarted (pid" in m for m in messages), messages
    finally:
        supervisor.stop()
        server.cleanup()
        shutil.rmtree(tmp_path / "pgdata", ignore_errors=True)
