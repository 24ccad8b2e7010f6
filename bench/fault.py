"""Database faults under load, against a running `pixely serve` (issue 10, defect 6).

    python -m bench.fault [--workers 2] [--readers 12] [--writers 4] [--steady 5]

Starts `pixely serve --workers N` with no DATABASE_URL, so that it starts and supervises
an embedded PostgreSQL of its own (a fresh DATA_DIR under /tmp, removed at the end; no
demo seed: one tenant, one client with an account and 50 posts made through the API).
Then, while keep-alive clients (this process: asyncio and httpx) read (GET one client,
GET 50 posts; --readers) and write (POST a post with a unique external id; --writers)
without pause, it breaks the database twice, each time after --steady seconds of
normal traffic:
  - restart: PostgreSQL's fast shutdown (SIGINT to the postmaster, as `pg_ctl stop`
    does), which `pixely serve` notices and starts it again;
  - crash: SIGKILL to the postmaster (no shutdown, crash recovery on start).
For each it reports the statuses answered from the fault until the first success after
it (and any 5xx other than 503, or a connection error, at any time), the seconds to
recovery (fault -> first 2xx of a request sent after it), the longest time a write
waited, and the writes acknowledged (201) before the fault and in all; at the end every
acknowledged post is looked up in the database (0 lost is the target), and so are the
writes answered 503 (stored anyway: the commit went through but the answer did not).
New TCP connections are counted too: a server that drops keep-alive connections makes
the clients open new ones. No job worker runs in the API processes (as in bench/load.py) unless
--job-worker. Traffic goes to 127.0.0.1 only (port 18600); about 25 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
PORT = 18600
PASSWORD = "fault-bench-password"


@dataclass
class Sample:
    kind: str  # "read" or "write"
    started: float
    ended: float
    status: int | str  # HTTP status, or the exception's name
    external_id: str | None = None


@dataclass
class Load:
    samples: list[Sample] = field(default_factory=list)
    new_connections: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        # httpcore's trace extension: one "connect_tcp.complete" per TCP connection made.
        if event == "connection.connect_tcp.complete":
            self.new_connections += 1


def postmaster(pgdata: Path) -> tuple[int, str]:
    """The postmaster's pid and a libpq URL of its socket (from postmaster.pid)."""
    lines = (pgdata / "postmaster.pid").read_text().splitlines()
    return int(lines[0]), f"postgresql://postgres@/postgres?host={lines[4]}&port={lines[3]}"


def wait_gone(pid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.02)


def start_server(workers: int, data: Path, log: Path, job_worker: bool) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATA_DIR": str(data),
        "SEED_DEMO": "false",
        # As bench/load.py: only the API serves, unless --job-worker (serve's default).
        "RUN_WORKER_IN_PROCESS": str(job_worker).lower(),
        "LOG_LEVEL": "WARNING",
        "LOGIN_MAX_ATTEMPTS": "100000",
    }
    for name in ("DATABASE_URL", "PIXELY_EMBEDDED_URL"):
        env.pop(name, None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [PY, "-m", "app.cli", "serve", "--port", str(PORT), "--workers", str(workers)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"pixely serve exited:\n{log.read_text()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", PORT)) == 0:
                return proc
        time.sleep(0.3)
    raise RuntimeError("pixely serve did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


async def prepare(client: httpx.AsyncClient) -> tuple[dict[str, str], str, str]:
    """A tenant, a client with an account and 50 posts; the bearer header and paths."""
    r = await client.post(
        "/api/v1/auth/register",
        json={
            "tenant_name": "Fault bench",
            "email": f"fault-{uuid.uuid4().hex[:8]}@example.com",
            "password": PASSWORD,
            "full_name": "Fault",
        },
    )
    r.raise_for_status()
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    client_id = (
        await client.post("/api/v1/clients", json={"name": "Acme"}, headers=headers)
    ).json()["id"]
    account_id = (
        await client.post(
            f"/api/v1/clients/{client_id}/accounts",
            json={"platform": "x", "handle": "acme"},
            headers=headers,
        )
    ).json()["id"]
    for i in range(50):
        r = await client.post(
            f"/api/v1/clients/{client_id}/posts",
            json=post_body(account_id, f"seed-{i}"),
            headers=headers,
        )
        r.raise_for_status()
    return headers, client_id, account_id


def post_body(account_id: str, external_id: str) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "external_id": external_id,
        "author_handle": "acme",
        "text": "Fault bench #bench",
        "published_at": "2026-06-01T12:00:00Z",
        "likes": 1,
    }


def answered(r: httpx.Response) -> int | str:
    """The status; a 503 without Retry-After or problem+json is told apart."""
    if r.status_code == 503 and (
        "retry-after" not in r.headers
        or r.headers.get("content-type") != "application/problem+json"
    ):
        return "503 (bare)"
    return r.status_code


async def reader(
    load: Load, client: httpx.AsyncClient, headers: dict[str, str], paths: list[str]
) -> None:
    n = 0
    while not load.stop.is_set():
        path = paths[n % len(paths)]
        n += 1
        started = time.monotonic()
        try:
            r = await client.get(path, headers=headers, extensions={"trace": load.trace})
            status: int | str = answered(r)
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        load.samples.append(Sample("read", started, time.monotonic(), status))


async def writer(
    load: Load, client: httpx.AsyncClient, headers: dict[str, str], path: str, account_id: str
) -> None:
    while not load.stop.is_set():
        external_id = f"w-{uuid.uuid4().hex}"
        started = time.monotonic()
        try:
            r = await client.post(
                path,
                json=post_body(account_id, external_id),
                headers=headers,
                extensions={"trace": load.trace},
            )
            status: int | str = answered(r)
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        load.samples.append(Sample("write", started, time.monotonic(), status, external_id))


@dataclass
class Fault:
    name: str
    at: float
    recovered: float | None = None


def summarize(load: Load, fault: Fault) -> dict[str, Any]:
    after = [s for s in load.samples if s.ended >= fault.at]
    first_ok = next(
        (
            s
            for s in sorted(after, key=lambda s: s.ended)
            if s.started > fault.at and s.status in (200, 201)
        ),
        None,
    )
    recovered = first_ok.ended if first_ok else None
    window = [s for s in after if recovered is None or s.ended <= recovered]
    writes_before = sum(
        1 for s in load.samples if s.kind == "write" and s.status == 201 and s.ended < fault.at
    )
    return {
        "fault": fault.name,
        "statuses": Counter(str(s.status) for s in window),
        "recovery_s": None if recovered is None else recovered - fault.at,
        "longest_write_s": max(
            (s.ended - s.started for s in window if s.kind == "write"), default=0.0
        ),
        "acknowledged_before": writes_before,
    }


async def run(args: argparse.Namespace, pgdata: Path) -> tuple[Load, list[dict[str, Any]]]:
    base = f"http://127.0.0.1:{PORT}"
    connections = args.readers + args.writers
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    load = Load()
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        headers, client_id, account_id = await prepare(client)
        one = f"/api/v1/clients/{client_id}"
        posts = f"{one}/posts?limit=50"
        load.new_connections = 0
        tasks = [
            asyncio.create_task(reader(load, client, headers, [one, posts]))
            for _ in range(args.readers)
        ]
        tasks += [
            asyncio.create_task(writer(load, client, headers, f"{one}/posts", account_id))
            for _ in range(args.writers)
        ]
        faults = []
        try:
            for name, sig in (
                ("restart (fast shutdown)", signal.SIGINT),
                ("crash (SIGKILL)", signal.SIGKILL),
            ):
                await asyncio.sleep(args.steady)
                pid, _ = postmaster(pgdata)
                fault = Fault(name, time.monotonic())
                os.kill(pid, sig)
                faults.append(fault)
                await asyncio.to_thread(wait_gone, pid)
                # Until requests succeed again, then --steady seconds more.
                while not any(
                    s.started > fault.at and s.status in (200, 201) for s in load.samples[-200:]
                ):
                    if time.monotonic() - fault.at > 120:
                        raise RuntimeError(f"no recovery 120 s after the {name}")
                    await asyncio.sleep(0.05)
            await asyncio.sleep(args.steady)
        finally:
            load.stop.set()
            await asyncio.gather(*tasks)
    return load, [summarize(load, f) for f in faults]


async def stored(url: str, external_ids: list[str]) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT external_id FROM post WHERE external_id = ANY($1::text[])", external_ids
        )
    finally:
        await conn.close()
    return {r[0] for r in rows}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--readers", type=int, default=12)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--steady", type=float, default=5.0)
    parser.add_argument(
        "--job-worker", action="store_true", help="a job worker in each API process"
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="pixely-fault-"))
    data, log = folder / "data", folder / "serve.log"
    proc = start_server(args.workers, data, log, args.job_worker)
    try:
        load, results = asyncio.run(run(args, data / "pgdata"))
        _, url = postmaster(data / "pgdata")
        acknowledged = [
            s.external_id for s in load.samples if s.kind == "write" and s.status == 201
        ]
        refused = [s.external_id for s in load.samples if s.kind == "write" and s.status != 201]
        found = asyncio.run(stored(url, [e for e in acknowledged + refused if e]))
    finally:
        stop_server(proc)
    server_log = log.read_text(errors="replace")
    shutil.rmtree(folder, ignore_errors=True)

    statuses = Counter(str(s.status) for s in load.samples)
    duration = load.samples[-1].ended - load.samples[0].started if load.samples else 0.0
    print(
        f"\n{len(load.samples):,} requests in {duration:.0f} s ({args.readers} readers, "
        f"{args.writers} writers, {args.workers} workers); statuses: {dict(statuses)}"
    )
    print(
        f"TCP connections opened during the load: {load.new_connections} "
        f"(by {args.readers + args.writers} clients)"
    )
    print(
        f"\n{'fault':26} {'recovery s':>10} {'longest write s':>15} {'acked before':>12}  "
        "statuses from the fault to the first success"
    )
    for r in results:
        recovery = "never" if r["recovery_s"] is None else f"{r['recovery_s']:.2f}"
        print(
            f"{r['fault']:26} {recovery:>10} {r['longest_write_s']:>15.2f} "
            f"{r['acknowledged_before']:>12,}  {dict(r['statuses'])}"
        )
    lost = [e for e in acknowledged if e not in found]
    stored_anyway = [e for e in refused if e in found]
    print(
        f"\nwrites acknowledged: {len(acknowledged):,}; found in the database: "
        f"{len(acknowledged) - len(lost):,}; lost: {len(lost)}"
    )
    print(f"writes not acknowledged: {len(refused):,}; stored anyway: {len(stored_anyway)}")
    plain = re.sub(r"\x1b\[[0-9;]*m", "", server_log)
    restarts = [line for line in plain.splitlines() if "embedded PostgreSQL" in line]
    print("\nserver log:\n" + "\n".join(restarts[-6:]))
    errors = [line for line in plain.splitlines() if "[error" in line]
    print(f"error lines in the server log: {len(errors)}" + "".join(f"\n  {e}" for e in errors[:5]))
    bad = {k: v for k, v in statuses.items() if k not in ("200", "201", "503")}
    print(
        "\nTargets: 0 lost, nothing but 200/201/503 "
        f"({'met' if not lost and not bad else 'NOT met'})."
    )


if __name__ == "__main__":
    main()
