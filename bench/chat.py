"""Chat turns on the local engine under load: 32 concurrent conversations, 2 workers.

    python -m bench.chat [--workers 2] [--conversations 32] [--duration 20] [--think 1.0]

Starts an embedded PostgreSQL seeded with the demo tenant (its agents included) and
`pixely serve --workers N` on it (bench/load.py's Server), then keeps N conversations
talking at once for --duration seconds: half with the demo's customer-service assistant
(data questions answered with a tool: counts, engagement, followers), half with its
onboarding agent (one field per turn). Each conversation is a person: it sends a message,
reads the answer, and writes the next one about --think seconds later (0: back to back,
which measures throughput rather than a conversation's latency). People do not type in
step: each conversation starts at a random moment of the first --think seconds and
thinks 0.5-1.5 x --think between turns (seeded), so turns do not arrive as waves of 32.

Reports turns per second, the server time of a turn (the response's Server-Timing: from
the request reaching the app to its answer, everything the turn stores included) and the
client's round trip, p50 and p99. Target (issue 12): server time p50 <= 50 ms, p99 <= 200
ms. Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.load import PY, ROOT, Server, http_json

QUESTIONS = [
    "¿Cuántas publicaciones negativas tuvo {client} en marzo?",
    "¿Cuál es el engagement de {client} en instagram este mes?",
    "¿Cuántos seguidores tiene {client}?",
    "¿Cuántas publicaciones tuvo {client} la semana pasada?",
]
ANSWERS = ["Banco Andino", "banca", "Perú", "https://andino.pe", "ana@andino.pe", "2026-03-01"]


def _server_time(response: httpx.Response) -> float:
    """The app's own time for the request (its Server-Timing header, app/core/timing.py):
    the whole turn, storing the answer included."""
    name, _, duration = response.headers["server-timing"].partition(";dur=")
    assert name == "app", response.headers["server-timing"]
    return float(duration)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _talk(
    base: str,
    token: str,
    agent: dict[str, Any],
    client_name: str,
    until: float,
    server_ms: list[float],
    round_ms: list[float],
    errors: list[str],
    think: float = 0.0,
    seed: int = 0,
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{base}/api/v1/agents/{agent['id']}/chat"
    conversation: str | None = None
    turn = 0
    person = random.Random(seed)
    async with httpx.AsyncClient(timeout=30) as http:
        if think:
            await asyncio.sleep(person.uniform(0, think))
        while time.monotonic() < until:
            if agent["kind"] == "assistant":
                text = QUESTIONS[turn % len(QUESTIONS)].format(client=client_name)
            else:
                text = "Hola" if conversation is None else ANSWERS[turn % len(ANSWERS)]
            body: dict[str, Any] = {"message": text}
            if conversation:
                body["conversation_id"] = conversation
            started = time.perf_counter()
            r = await http.post(url, json=body, headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            if r.status_code != 200:
                errors.append(f"{r.status_code} {r.text[:120]}")
                continue
            answer = r.json()
            server_ms.append(_server_time(r))
            round_ms.append(elapsed)
            conversation = None if answer["is_complete"] else answer["conversation_id"]
            turn += 1
            if think:
                await asyncio.sleep(person.uniform(0.5, 1.5) * think)


async def _run(base: str, token: str, args: argparse.Namespace) -> dict[str, Any]:
    agents = http_json(f"{base}/api/v1/agents?limit=50", token=token)["items"]
    clients = http_json(f"{base}/api/v1/clients", token=token)["items"]
    by_kind = {a["kind"]: a for a in agents}
    if {"assistant", "staged"} - set(by_kind):
        raise SystemExit("the demo tenant has no assistant and staged agent to talk to")
    server_ms: list[float] = []
    round_ms: list[float] = []
    errors: list[str] = []
    # Warm up every worker (imports, pools, both agents' paths) before measuring: eight
    # connections per agent, so that the kernel gives each worker some of each (with two,
    # one worker met its first staged turn, cold, in the measured window half the time).
    warm_until = time.monotonic() + 3
    await asyncio.gather(
        *(
            _talk(base, token, by_kind[kind], clients[0]["name"], warm_until, [], [], [])
            for kind in ("assistant", "staged") * 8
        )
    )
    until = time.monotonic() + args.duration
    started = time.monotonic()
    await asyncio.gather(
        *(
            _talk(
                base,
                token,
                by_kind["assistant" if i % 2 == 0 else "staged"],
                clients[i % len(clients)]["name"],
                until,
                server_ms,
                round_ms,
                errors,
                args.think,
                i,
            )
            for i in range(args.conversations)
        )
    )
    seconds = time.monotonic() - started
    return {
        "turns": len(server_ms),
        "turns_per_s": len(server_ms) / seconds,
        "server_p50": statistics.median(server_ms) if server_ms else float("nan"),
        "server_p99": _pct(server_ms, 0.99),
        "round_p50": statistics.median(round_ms) if round_ms else float("nan"),
        "round_p99": _pct(round_ms, 0.99),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--conversations", type=int, default=32)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--port", type=int, default=18700)
    parser.add_argument("--think", type=float, default=1.0, help="seconds between turns")
    args = parser.parse_args()

    from app.core.embedded import start_embedded, to_async_url

    folder = Path(tempfile.mkdtemp(prefix="pixely-bench-chat-"))
    pg = start_embedded(folder / "pgdata", cleanup_mode="delete")
    db_url = to_async_url(pg.get_uri())
    try:
        env = {**os.environ, "DATABASE_URL": db_url, "LOG_LEVEL": "WARNING"}
        subprocess.run([PY, "-m", "app.cli", "seed-demo"], cwd=ROOT, env=env, check=True)
        server = Server(args.workers, args.port, db_url, {"LOGIN_MAX_ATTEMPTS": "100000000"})
        base = f"http://127.0.0.1:{args.port}"
        try:
            login = {"email": "demo@pixely.dev", "password": "pixely-demo"}
            token = http_json(f"{base}/api/v1/auth/login", login)["access_token"]
            result = asyncio.run(_run(base, token, args))
            rss = server.rss_mb()
        finally:
            server.stop()
    finally:
        pg.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"\nlocal-engine chat turns, {args.conversations} concurrent conversations, "
        f"{args.workers} workers, {args.duration} s, {args.think} s between a conversation's turns"
    )
    print(f"{'turns':>24} {result['turns']}")
    print(f"{'turns per second':>24} {result['turns_per_s']:.0f}")
    print(
        f"{'server time p50 / p99':>24} {result['server_p50']:.0f} / {result['server_p99']:.0f} ms"
    )
    print(f"{'round trip p50 / p99':>24} {result['round_p50']:.0f} / {result['round_p99']:.0f} ms")
    print(f"{'errors':>24} {len(result['errors'])} {result['errors'][:3]}")
    print(f"{'max worker RSS':>24} {rss:.0f} MB")
    print("Target: server time p50 <= 50 ms, p99 <= 200 ms.")


if __name__ == "__main__":
    main()
