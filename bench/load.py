"""HTTP load benchmark: wrk against a running Pixely server on the demo data.

    python -m bench.load [--workers 1 2] [--duration 15] [--connections 64]

For each worker count it starts `pixely serve` (uvicorn workers) on an embedded PostgreSQL
seeded with the demo tenant (a fresh folder under .pixely/bench), then measures with wrk:
  - GET one client (authenticated)
  - GET 50 posts with a filter (authenticated)
  - POST create post
  - POST login (8 connections: each one hashes a password)
  - GET one client while logins arrive continuously at 8 concurrent
  - GET 50 posts again on a server with the list's rendering cache off
and samples the workers' memory (RSS) under load. Prints a table; targets from issue #2.
Traffic goes to 127.0.0.1 only; every run is bounded by --duration.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


@dataclass
class Result:
    name: str
    workers: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    rss_mb: float = 0.0
    seconds: float | None = None  # for one-shot scenarios (imports)


def _ms(value: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", value)
    if not m:
        return float("nan")
    n, unit = float(m.group(1)), m.group(2)
    return n / 1000 if unit == "us" else n * 1000 if unit == "s" else n


def parse_wrk(out: str) -> tuple[float, float, float, int]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # The latency distribution's own lines ("     99%  114.60ms"), not a stdev column
    # that happens to end in 99%.
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)$", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)$", out, re.M).group(1))  # type: ignore[union-attr]
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(g) for g in m.groups())
    return rps, p50, p99, errors


def wrk(
    url: str,
    *,
    script: str,
    duration: int,
    connections: int,
    threads: int = 2,
    env: dict[str, str] | None = None,
) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        path = f.name
    try:
        cmd = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "--timeout",
            "5s",
            "-s",
            path,
            url,
        ]
        return subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **(env or {})},
            timeout=duration + 30,
        ).stdout
    finally:
        os.unlink(path)


def get_script(token: str) -> str:
    return f'wrk.headers["Authorization"] = "Bearer {token}"\n'


def post_script(token: str, body: str, unique: bool = False) -> str:
    # With unique=True, "__N__" in the body becomes thread-run-counter, so every create
    # is a real insert (no conflicts across wrk threads or runs).
    auth = f'wrk.headers["Authorization"] = "Bearer {token}"' if token else ""
    replace = 'body = body:gsub("__N__", prefix .. "-" .. n)' if unique else ""
    return f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
{auth}
local counter = 1
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  n = 0
  prefix = tostring(tid) .. "-" .. tostring(os.time()) .. "-" .. tostring(math.random(1, 1e6))
end
request = function()
  n = n + 1
  local body = [[{body}]]
  {replace}
  return wrk.format(nil, nil, nil, body)
end
"""


def http_json(url: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


class Server:
    def __init__(self, workers: int, port: int, db_url: str, extra_env: dict[str, str]):
        self.port = port
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "LOG_LEVEL": "WARNING",
            "SEED_DEMO": "false",
            # No job worker in the API processes, as with docker-compose (where the worker
            # is a process of its own); none is started here: no scenario queues a job.
            "RUN_WORKER_IN_PROCESS": "false",
            **extra_env,
        }
        # `pixely serve`: uvicorn workers, each with its own SO_REUSEPORT socket (the
        # database is migrated and seeded beforehand).
        self.proc = subprocess.Popen(
            [
                *(PY, "-m", "app.cli", "serve", "--no-prepare"),
                *("--port", str(port), "--workers", str(workers)),
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("server did not start")

    def rss_mb(self) -> float:
        """Largest RSS among the serving processes (the per-worker figure)."""
        try:
            parent = psutil.Process(self.proc.pid)
            procs = [parent, *parent.children(recursive=True)]
            return max(p.memory_info().rss for p in procs) / 2**20
        except psutil.Error:
            return float("nan")

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)


def sample_rss(server: Server, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        out.append(server.rss_mb())
        time.sleep(0.5)


def measure(
    server: Server, name: str, workers: int, url: str, script: str, duration: int, connections: int
) -> Result:
    samples: list[float] = []
    stop = threading.Event()
    t = threading.Thread(target=sample_rss, args=(server, stop, samples), daemon=True)
    t.start()
    out = wrk(url, script=script, duration=duration, connections=connections)
    stop.set()
    t.join()
    rps, p50, p99, errors = parse_wrk(out)
    return Result(name, workers, rps, p50, p99, errors, max(samples or [float("nan")]))


def import_100k(base: str, token: str, n: int = 100_000) -> Result:
    """Time one CSV import of n posts through HTTP, into a client and account of its own
    (all inserts; the demo clients the other scenarios read stay as seeded)."""
    handle = f"bench{int(time.time())}"
    client_id = http_json(f"{base}/api/v1/clients", {"name": f"Import {handle}"}, token)["id"]
    req = urllib.request.Request(
        f"{base}/api/v1/clients/{client_id}/accounts",
        data=json.dumps({"platform": "tiktok", "handle": handle}).encode(),
        method="POST",
    )
    req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", f"Bearer {token}")
    urllib.request.urlopen(req, timeout=30).read()
    lines = [
        "platform,account_handle,external_id,author_handle,author_followers,text,"
        "published_at,likes,comments,shares,views,reach,hashtags"
    ]
    for i in range(n):
        lines.append(
            f"tiktok,{handle},b{i},fan{i % 500},{i % 5000},"
            f'"Me encanta el nuevo modelo {i} #running",2026-05-{1 + i % 28:02d}T'
            f"{i % 24:02d}:00:00Z,{i % 300},{i % 20},{i % 7},{i * 3 % 9000},"
            f"{i * 2 % 8000},running"
        )
    body = ("\n".join(lines) + "\n").encode()
    req = urllib.request.Request(
        f"{base}/api/v1/clients/{client_id}/posts/import", data=body, method="POST"
    )
    req.add_header("Content-Type", "text/csv")
    req.add_header("Authorization", f"Bearer {token}")
    started = time.perf_counter()
    with urllib.request.urlopen(req, timeout=300) as resp:
        result = json.loads(resp.read())
    elapsed = time.perf_counter() - started
    assert result["inserted"] == n, result
    return Result(
        f"import {n:,} posts (CSV)", 1, n / elapsed, float("nan"), float("nan"), 0, seconds=elapsed
    )


def run_for(workers: int, db_url: str, args: argparse.Namespace) -> list[Result]:
    port = 18000 + workers
    base = f"http://127.0.0.1:{port}"
    # The login limit is per address; the benchmark logs in from one address on purpose.
    server = Server(workers, port, db_url, {"LOGIN_MAX_ATTEMPTS": "100000000"})
    results: list[Result] = []
    try:
        login = {"email": "demo@pixely.dev", "password": "pixely-demo"}
        token = http_json(f"{base}/api/v1/auth/login", login)["access_token"]
        clients = http_json(f"{base}/api/v1/clients", token=token)["items"]
        client_id = clients[0]["id"]
        account_id = http_json(f"{base}/api/v1/clients/{client_id}/accounts", token=token)["items"][
            0
        ]["id"]
        one = f"{base}/api/v1/clients/{client_id}"
        posts = f"{base}/api/v1/clients/{client_id}/posts?limit=50&is_own=false&platform=x"
        d, c = args.duration, args.connections
        # Warm up every worker's pool and caches.
        wrk(one, script=get_script(token), duration=3, connections=c)
        results.append(measure(server, "GET one client", workers, one, get_script(token), d, c))
        results.append(
            measure(server, "GET 50 posts (filtered)", workers, posts, get_script(token), d, c)
        )
        body = json.dumps(
            {
                "account_id": account_id,
                "external_id": "bench-__N__",
                "author_handle": "bench",
                "text": "Bench post #bench",
                "published_at": "2026-06-01T12:00:00Z",
                "likes": 1,
            }
        )
        results.append(
            measure(
                server,
                "POST create post",
                workers,
                f"{one}/posts",
                post_script(token, body, unique=True),
                d,
                c,
            )
        )
        login_body = json.dumps(login)
        results.append(
            measure(
                server,
                "POST login (8 conc.)",
                workers,
                f"{base}/api/v1/auth/login",
                post_script("", login_body),
                d,
                8,
            )
        )
        # Mixed: logins at 8 concurrent in the background, reads measured meanwhile.
        bg = threading.Thread(
            target=wrk,
            kwargs={
                "url": f"{base}/api/v1/auth/login",
                "script": post_script("", login_body),
                "duration": d + 2,
                "connections": 8,
                "threads": 1,
            },
        )
        bg.start()
        time.sleep(1)
        results.append(
            measure(server, "GET one client during logins", workers, one, get_script(token), d, c)
        )
        bg.join()
        if workers == 1:
            results.append(import_100k(base, token))
    finally:
        server.stop()
    # The list again with the rendering cache off (POST_LIST_CACHE_MB=0): every post of
    # every page decoded and rendered, as on a page never listed since its posts changed.
    server = Server(
        workers, port, db_url, {"LOGIN_MAX_ATTEMPTS": "100000000", "POST_LIST_CACHE_MB": "0"}
    )
    try:
        wrk(posts, script=get_script(token), duration=3, connections=c)
        results.append(
            measure(
                server, "GET 50 posts, render cache off", workers, posts, get_script(token), d, c
            )
        )
    finally:
        server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get update && apt-get install -y wrk)")

    from app.core.embedded import start_embedded, to_async_url

    folder = Path(tempfile.mkdtemp(prefix="pixely-bench-"))
    pg = start_embedded(folder / "pgdata", cleanup_mode="delete")
    db_url = to_async_url(pg.get_uri())
    try:
        env = {**os.environ, "DATABASE_URL": db_url, "LOG_LEVEL": "WARNING"}
        subprocess.run([PY, "-m", "app.cli", "seed-demo"], cwd=ROOT, env=env, check=True)
        results: list[Result] = []
        for workers in args.workers:
            results += run_for(workers, db_url, args)
    finally:
        pg.cleanup()
        shutil.rmtree(folder, ignore_errors=True)

    print(
        f"\n{'scenario':34} {'workers':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>6} {'max RSS MB':>10}"
    )
    for r in results:
        if r.seconds is not None:
            print(f"{r.name:34} {r.workers:>7} {r.rps:>8.0f} rows/s, took {r.seconds:.1f} s")
            continue
        print(
            f"{r.name:34} {r.workers:>7} {r.rps:>8.0f} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f} "
            f"{r.errors:>6} {r.rss_mb:>10.0f}"
        )
    print(
        "\nTargets (2 workers, 64 connections): GET one >= 1500 req/s, 50 posts >= 800 req/s, "
        "both p99 <= 100 ms; during logins p99 <= 150 ms; RSS <= 250 MB per worker; "
        "import of 100,000 posts <= 20 s."
    )


if __name__ == "__main__":
    main()
