"""Speed and memory of the analyses (issue #3 targets), printed as a table.

    python -m bench.analysis_speed [--skip-http] [--skip-local] [--posts-100k N]

1. All ten questions with the local engine on 10,000 generated posts, in-process
   (Q1-Q8 concurrently, then Q9 and Q10, enrichment included): target <= 5 s.
2. One question (Q7, forced) on 1,000 posts through HTTP against a running server:
   target p50 <= 300 ms.
3. Peak RSS of the server process (API with its in-process worker) while a job runs all
   ten questions on 100,000 posts: target <= 400 MB.
4. The openai engine against a local fake that answers each call after 1 s: all ten
   questions in <= 3.5 s (the dependency graph's critical path, not 10 s).
Traffic stays on 127.0.0.1; every step is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.ai.llm import StructuredClient  # noqa: E402
from app.analyses.engines import LocalEngine, OpenAIEngine  # noqa: E402
from app.analyses.prompts import default_prompts  # noqa: E402
from app.analyses.question import Previous  # noqa: E402
from app.analyses.records import PostRecord  # noqa: E402
from app.analyses.registry import BY_KEY, KEYS, execution_levels  # noqa: E402
from app.analyses.window import Window  # noqa: E402
from app.clients.service import ClientProfile, CompetitorProfile  # noqa: E402
from app.demo.generator import DEMO_CLIENTS, generate_posts  # noqa: E402
from tests.analyses.builders import demo_posts  # noqa: E402

END = datetime(2026, 9, 1, tzinfo=UTC)
PROFILE = ClientProfile(
    name="Banco Andino",
    industry="banking",
    country="PE",
    language="es",
    competitors=(CompetitorProfile("BCP"),),
    handles=("bancoandino",),
)


def records(n: int) -> list[PostRecord]:
    """n generated posts, half of each demo client, over 180 days."""
    return [
        post
        for c, spec in enumerate(DEMO_CLIENTS)
        for post in demo_posts(n // 2, c, days=180, end=END, prefix=f"{spec.key}-")
    ]


def build_window(posts: list[PostRecord]) -> Window:
    return Window.build(
        posts,
        client=PROFILE,
        start=datetime(2026, 3, 1, tzinfo=UTC),
        end=END,
        language="es",
        timezone="America/Lima",
    )


async def run_graph(engine: Any, window: Window) -> float:
    """Every level of the dependency graph in turn, its questions concurrently (Q1-Q8,
    then Q9-Q10 on their results); returns seconds."""
    started = time.perf_counter()
    stored: dict[str, Any] = {}
    for level in execution_levels(list(KEYS)):
        results = await asyncio.gather(
            *(engine.run(q, window, Previous.load(q.depends_on, stored)) for q in level)
        )
        for question, result in zip(level, results, strict=True):
            stored[question.key] = result.result.model_dump(mode="json")
    return time.perf_counter() - started


def local_ten(n: int) -> tuple[float, float]:
    """(seconds to build the window of n posts, seconds for the ten questions on it)."""
    started = time.perf_counter()
    asyncio.run(run_graph(LocalEngine(), build_window(records(200))))  # one-time warm-up
    print(f"  warm-up {time.perf_counter() - started:.2f} s (once per process)")
    posts = records(n)
    started = time.perf_counter()
    window = build_window(posts)
    built = time.perf_counter() - started
    return built, asyncio.run(run_graph(LocalEngine(), window))


def openai_fake_ten() -> float:
    from tests.ai.fake_openai import FakeOpenAI, FakeRequest, question_of

    def answer(request: FakeRequest) -> str:
        example = BY_KEY[question_of(request) or KEYS[0]].result.model_config["json_schema_extra"][
            "examples"
        ][0]  # type: ignore[index]
        return json.dumps(example)

    fake = FakeOpenAI([answer], delay=1.0)
    client = StructuredClient(client=fake.client(timeout=10.0), model="fake")
    engine = OpenAIEngine(client=client, prompts=default_prompts())
    return asyncio.run(run_graph(engine, build_window(records(200))))


# --- through a running server --------------------------------------------------------


def call(
    base: str,
    method: str,
    path: str,
    token: str | None = None,
    body: Any = None,
    content_type: str = "application/json",
    timeout: float = 600,
) -> Any:
    data = (
        body
        if isinstance(body, bytes)
        else (json.dumps(body).encode() if body is not None else None)
    )
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", content_type)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read() or b"null")


def csv_posts(n: int, handle: str) -> bytes:
    lines = [
        "platform,account_handle,external_id,author_handle,author_followers,text,"
        "published_at,likes,comments,shares,views,reach,is_own"
    ]
    for spec in DEMO_CLIENTS:
        for i, p in enumerate(generate_posts(spec, n_posts=n // 2, end=END, seed=13)):
            text = p.text.replace('"', '""')
            lines.append(
                f"x,{handle},{spec.key}-{i},{p.author_handle},{p.author_followers},"
                f'"{text}",{p.published_at.isoformat()},{p.likes},{p.comments},'
                f"{p.shares},{p.views},{p.reach},{str(p.is_own).lower()}"
            )
    return ("\n".join(lines) + "\n").encode()


def server_steps(posts_100k: int) -> dict[str, Any]:
    from app.core.embedded import start_embedded, to_async_url

    folder = Path(tempfile.mkdtemp(prefix="pixely-bench-analyses-"))
    pg = start_embedded(folder / "pgdata", cleanup_mode="delete")
    url = to_async_url(pg.get_uri())
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "SEED_DEMO": "false",
        "RUN_WORKER_IN_PROCESS": "true",
        "WORKER_CONCURRENCY": "1",
    }
    subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    port = 18400
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {}
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health", timeout=1)
                break
            except OSError:
                time.sleep(0.3)
        token = call(
            base,
            "POST",
            "/api/v1/auth/register",
            body={
                "tenant_name": "Bench",
                "email": "bench@example.com",
                "password": "bench-password",
                "full_name": "B",
            },
        )["access_token"]
        # Step 2: one question on 1,000 posts.
        cid = call(base, "POST", "/api/v1/clients", token, {"name": "Thousand"})["id"]
        call(
            base,
            "POST",
            f"/api/v1/clients/{cid}/accounts",
            token,
            {"platform": "x", "handle": "thousand"},
        )
        call(
            base,
            "POST",
            f"/api/v1/clients/{cid}/posts/import",
            token,
            csv_posts(1000, "thousand"),
            "text/csv",
        )
        window = {"since": "2026-01-01T00:00:00Z", "until": "2026-12-31T00:00:00Z"}
        call(base, "POST", f"/api/v1/clients/{cid}/analyses/q7", token, window)  # enrich once
        timings = []
        for _ in range(30):
            started = time.perf_counter()
            run = call(
                base, "POST", f"/api/v1/clients/{cid}/analyses/q7", token, {**window, "force": True}
            )
            timings.append((time.perf_counter() - started) * 1000)
            assert run["status"] == "succeeded", run["error"]
        out["q7_1000_p50_ms"] = statistics.median(timings)
        out["q7_1000_p95_ms"] = sorted(timings)[int(len(timings) * 0.95) - 1]
        # Step 3: all ten on 100,000 posts as a job, sampling the server's memory.
        cid = call(base, "POST", "/api/v1/clients", token, {"name": "Hundred"})["id"]
        call(
            base,
            "POST",
            f"/api/v1/clients/{cid}/accounts",
            token,
            {"platform": "x", "handle": "hundred"},
        )
        server = psutil.Process(proc.pid)
        out["rss_before_import_mb"] = server.memory_info().rss / 2**20
        call(
            base,
            "POST",
            f"/api/v1/clients/{cid}/posts/import",
            token,
            csv_posts(posts_100k, "hundred"),
            "text/csv",
        )
        peak = [server.memory_info().rss]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak.append(server.memory_info().rss)
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        job = call(base, "POST", f"/api/v1/clients/{cid}/analyses", token, window)
        while True:
            status = call(base, "GET", f"/api/v1/jobs/{job['job_id']}", token)
            if status["status"] in ("succeeded", "failed") or time.perf_counter() - started > 900:
                break
            time.sleep(1)
        stop.set()
        sampler.join()
        out["job_100k_status"] = status["status"]
        out["job_100k_error"] = status["error"]
        out["job_100k_seconds"] = time.perf_counter() - started
        out["job_100k_peak_rss_mb"] = max(peak) / 2**20
        out["job_100k_start_rss_mb"] = peak[0] / 2**20
        out["posts_100k"] = posts_100k
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        pg.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-local", action="store_true", help="only the server steps")
    parser.add_argument("--posts-100k", type=int, default=100_000)
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []
    if not args.skip_local:
        built, answered = local_ten(10_000)
        rows.append(
            ("window of 10,000 posts (enrichment, topics, aggregates)", f"{built:.2f} s", "")
        )
        rows.append(("ten questions on it, local", f"{answered:.2f} s", ""))
        rows.append(("both: the service's path", f"{built + answered:.2f} s", "<= 5 s"))
        rows.append(
            ("ten questions, openai fake at 1 s per call", f"{openai_fake_ten():.2f} s", "<= 3.5 s")
        )
    if not args.skip_http:
        http = server_steps(args.posts_100k)
        rows.append(
            ("Q7 on 1,000 posts via HTTP, p50", f"{http['q7_1000_p50_ms']:.0f} ms", "<= 300 ms")
        )
        rows.append(("Q7 on 1,000 posts via HTTP, p95", f"{http['q7_1000_p95_ms']:.0f} ms", ""))
        rows.append(
            (
                f"job: ten questions on {http['posts_100k']:,} posts",
                f"{http['job_100k_seconds']:.0f} s ({http['job_100k_status']})",
                "",
            )
        )
        rows.append(
            (
                "server peak RSS during that job",
                f"{http['job_100k_peak_rss_mb']:.0f} MB",
                "<= 400 MB",
            )
        )
        rows.append(
            (
                "server RSS before importing those posts",
                f"{http['rss_before_import_mb']:.0f} MB",
                "",
            )
        )
        rows.append(
            ("server RSS when that job started", f"{http['job_100k_start_rss_mb']:.0f} MB", "")
        )
        if http["job_100k_error"]:
            print("job error:", http["job_100k_error"])
    print(f"\n{'measure':52} {'result':>16} {'target':>10}")
    for name, value, target in rows:
        print(f"{name:52} {value:>16} {target:>10}")


if __name__ == "__main__":
    main()
