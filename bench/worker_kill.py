"""A job worker killed mid-job, under load, against a running `pixely serve` (issue 10).

    python -m bench.worker_kill [--workers 2] [--posts 20000] [--writers 4]

Starts `pixely serve --workers N` with its in-process job workers (the embedded default)
on an embedded PostgreSQL of its own (a fresh DATA_DIR under /tmp, removed at the end).
It imports --posts posts for one client, then, while --writers keep-alive clients create
posts without pause, requests a job of all ten questions, waits until one uvicorn worker
is busy computing it, and kills that process with SIGKILL (`kill -9`: no graceful stop,
its heartbeat stops). `pixely serve` starts a new worker process; the job's queue entry
stays 'doing' until another worker's upkeep finds its heartbeat stale
(STALLED_AFTER_SECONDS) and queues it again, and the job finishes.

It reports: the seconds from the kill to the job's end and its status, the runs the job
kept, the statuses the writers got (connections to the killed process are reset: the
clients reconnect), and the writes acknowledged (201), all of which are looked up in the
database at the end (0 lost is the target). Traffic goes to 127.0.0.1 only (port 18600);
about a minute (mostly the 30 s before a worker counts as dead).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import shutil
import signal
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import psutil

from bench.fault import PORT, Load, postmaster, prepare, start_server, stop_server, stored, writer


def posts_csv(n: int) -> bytes:
    out = io.StringIO()
    rows = csv.writer(out)
    rows.writerow(["platform", "account_handle", "external_id", "author_handle", "text",
                   "published_at", "likes", "is_own"])  # fmt: skip
    words = ["servicio", "precio", "app", "tarjeta", "atención", "cuenta", "pago", "banco"]
    for i in range(n):
        text = f"{words[i % 8]} {words[(i * 3) % 8]} {words[(i * 5) % 8]} muy bueno #{i % 40}"
        day = 1 + i % 28
        rows.writerow(["x", "acme", f"k-{i}", f"user{i % 500}", text,
                       f"2026-05-{day:02d}T{i % 24:02d}:00:00Z", i % 300, i % 7 == 0])  # fmt: skip
    return out.getvalue().encode()


def busiest_worker(server: psutil.Process) -> psutil.Process:
    """The uvicorn worker (a child of `pixely serve`) using the most CPU now."""
    children = [c for c in server.children() if "postgres" not in " ".join(c.cmdline())]
    for child in children:
        child.cpu_percent(None)
    time.sleep(0.5)
    return max(children, key=lambda c: c.cpu_percent(None))


async def run(args: argparse.Namespace, data: Path) -> None:
    base = f"http://127.0.0.1:{PORT}"
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        headers, client_id, account_id = await prepare(client)
        r = await client.post(
            f"/api/v1/clients/{client_id}/posts/import?mode=partial",
            content=posts_csv(args.posts),
            headers={**headers, "Content-Type": "text/csv"},
        )
        r.raise_for_status()
        load = Load()
        writers = [
            asyncio.create_task(
                writer(
                    load,
                    httpx.AsyncClient(base_url=base, timeout=30),
                    headers,
                    f"/api/v1/clients/{client_id}/posts",
                    account_id,
                )
            )
            for _ in range(args.writers)
        ]
        await asyncio.sleep(2)
        job = await client.post(
            f"/api/v1/clients/{client_id}/analyses",
            json={"since": "2026-01-01T00:00:00Z", "until": "2026-12-31T00:00:00Z", "force": True},
            headers=headers,
        )
        job.raise_for_status()
        job_url = f"/api/v1/jobs/{job.json()['job_id']}"
        for _ in range(600):  # until a worker has taken it (at most a minute)
            if (await client.get(job_url, headers=headers)).json()["status"] != "queued":
                break
            await asyncio.sleep(0.1)
        server = psutil.Process(args.server_pid)
        victim = await asyncio.to_thread(busiest_worker, server)
        progress = (await client.get(job_url, headers=headers)).json()["progress"]
        victim.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        print(f"killed worker {victim.pid} with the job at {progress}%")
        final: dict[str, object] = {}
        while time.monotonic() - killed < 300:
            try:
                final = (await client.get(job_url, headers=headers)).json()
            except httpx.HTTPError:
                continue
            if final.get("status") in ("succeeded", "failed"):
                break
            await asyncio.sleep(0.5)
        done = time.monotonic() - killed
        await asyncio.sleep(1)
        load.stop.set()
        await asyncio.gather(*writers)
    statuses = Counter(s.status for s in load.samples)
    acked = [s.external_id for s in load.samples if s.status == 201 and s.external_id]
    _, url = postmaster(data / "pgdata")
    found = await stored(url, acked)
    runs = Counter(str(r["status"]) for r in final.get("runs", []))  # type: ignore[attr-defined]
    print(f"job {final.get('status')} {done:.1f} s after the kill; runs: {dict(runs)}")
    print(f"writer answers: {dict(statuses)}")
    print(f"writes acknowledged: {len(acked)}, found in the database: {len(found)}, "
          f"lost: {len(set(acked) - found)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--writers", type=int, default=4)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="pixely-bench-kill-"))
    log = data / "serve.log"
    proc = start_server(args.workers, data, log, job_worker=True)
    args.server_pid = proc.pid
    try:
        asyncio.run(run(args, data))
    finally:
        stop_server(proc)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
