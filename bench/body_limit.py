"""Oversized request bodies against a running server (issue 10, defect 4).

    python -m bench.body_limit [--workers 1] [--duration 15] [--connections 16] [--unlimited]

Starts `pixely serve` on an embedded PostgreSQL seeded with the demo tenant (as
bench/load.py does, with its helpers), then, for each scenario, measures a worker's RSS
(sampled every 50 ms: idle first, then its peak) and wrk's latency of GET one client
(authenticated, --connections) while 8 clients (threads of this process, each on one
keep-alive connection) keep sending 40 MB bodies to POST /api/v1/auth/login, each body
whole before reading its answer, as a simple client does:
  - GETs alone (the baseline, no large bodies);
  - 40 MB bodies with a Content-Length (refused on the header; the server reads the rest
    and drops it);
  - 40 MB bodies chunked (read ahead to the limit, refused, the rest dropped);
  - with --unlimited, both again on a server whose MAX_BODY_BYTES is 1 GiB: every body
    read and parsed by FastAPI, as before the limit.
Targets: peak RSS at most 50 MB above idle, GET p99 at most 100 ms. Traffic goes to
127.0.0.1 only; a run takes about 70 s (2 minutes with --unlimited).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import PY, ROOT, Server, get_script, http_json, parse_wrk, wrk

BODY_MB = 40
CLIENTS = 8
PORT = 18500
LOGIN = "/api/v1/auth/login"
HEAD = b'{"email": "demo@pixely.dev", "password": "'
TAIL = b'"}'
SENDERS = [
    (f"{CLIENTS} x {BODY_MB} MB, Content-Length", "length"),
    (f"{CLIENTS} x {BODY_MB} MB, chunked", "chunked"),
]


@dataclass
class Outcome:
    name: str
    idle_mb: float
    peak_mb: float
    p50_ms: float
    p99_ms: float
    rps: float
    get_errors: int
    bodies: int = 0
    statuses: Counter[int] = field(default_factory=Counter)


def _read_status(sock: socket.socket) -> tuple[int, bool]:
    """Read one response (status line, headers, Content-Length body): its status and
    whether the server closes the connection after it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    length = 0
    close = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            close = value.strip().lower() == b"close"
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        rest += chunk
    return int(head.split()[1]), close


def sender(port: int, framing: str, stop: threading.Event, statuses: Counter[int]) -> None:
    """Send 40 MB bodies one after another on one keep-alive connection, each whole
    (as a simple client does) before reading its answer; `framing`: 'length' or 'chunked'."""
    filler = b"x" * 2**20
    size = BODY_MB * 2**20
    if framing == "length":
        frame = f"Content-Length: {size}\r\n"
        pieces = [HEAD, *[filler] * (BODY_MB - 1), filler[: 2**20 - len(HEAD) - len(TAIL)], TAIL]
        end = b""
    else:
        frame = "Transfer-Encoding: chunked\r\n"
        pieces = [b"%x\r\n%s\r\n" % (len(p), p) for p in (HEAD, filler, TAIL)]
        pieces = [pieces[0], *[pieces[1]] * (BODY_MB - 1), pieces[2]]
        end = b"0\r\n\r\n"
    head = (
        f"POST {LOGIN} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{frame}\r\n"
    ).encode()
    sock: socket.socket | None = None
    while not stop.is_set():
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            # Once refused, the server may close the connection while the body is still
            # being sent: the writes then fail and the answer is read all the same (as
            # curl, httpx and requests do).
            with contextlib.suppress(OSError):
                sock.sendall(head)
                for piece in pieces:
                    sock.sendall(piece)
                sock.sendall(end)
            status, close = _read_status(sock)
            statuses[status] += 1
        except OSError:
            statuses[0] += 1  # no answer
            close = True
        if close and sock is not None:
            sock.close()
            sock = None
    if sock is not None:
        sock.close()


def sample(server: Server, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        out.append(server.rss_mb())
        time.sleep(0.05)


def idle_rss(server: Server, seconds: float = 2.0) -> float:
    samples: list[float] = []
    stop = threading.Event()
    t = threading.Thread(target=sample, args=(server, stop, samples), daemon=True)
    t.start()
    time.sleep(seconds)
    stop.set()
    t.join()
    return max(samples)


def scenario(
    name: str,
    server: Server,
    base: str,
    token: str,
    client_id: str,
    args: argparse.Namespace,
    senders: str | None,
) -> Outcome:
    """GET one client for --duration seconds while `senders` ('length', 'chunked' or
    None) keep sending large bodies; the worker's RSS sampled throughout."""
    one = f"{base}/api/v1/clients/{client_id}"
    wrk(one, script=get_script(token), duration=2, connections=args.connections)  # warm up
    idle = idle_rss(server)
    samples: list[float] = []
    stop = threading.Event()
    sampler = threading.Thread(target=sample, args=(server, stop, samples), daemon=True)
    sampler.start()
    statuses: Counter[int] = Counter()
    background = [
        threading.Thread(target=sender, args=(args.port, senders, stop, statuses))
        for _ in range(CLIENTS if senders else 0)
    ]
    for t in background:
        t.start()
    if background:
        time.sleep(1.5)
    out = wrk(one, script=get_script(token), duration=args.duration, connections=args.connections)
    stop.set()
    for t in background:
        t.join()
    sampler.join()
    rps, p50, p99, errors = parse_wrk(out)
    bodies = sum(statuses.values())
    return Outcome(name, idle, max(samples), p50, p99, rps, errors, bodies, statuses)


def run(db_url: str, args: argparse.Namespace, unlimited: bool) -> list[Outcome]:
    base = f"http://127.0.0.1:{args.port}"
    extra = {"LOGIN_MAX_ATTEMPTS": "100000000"}
    if unlimited:
        extra["MAX_BODY_BYTES"] = str(2**30)
    server = Server(args.workers, args.port, db_url, extra)
    try:
        login = {"email": "demo@pixely.dev", "password": "pixely-demo"}
        token = http_json(f"{base}{LOGIN}", login)["access_token"]
        client_id = http_json(f"{base}/api/v1/clients", token=token)["items"][0]["id"]
        if unlimited:
            return [
                scenario(f"no limit: {name}", server, base, token, client_id, args, framing)
                for name, framing in SENDERS
            ]
        return [
            scenario("GETs alone", server, base, token, client_id, args, None),
            *(
                scenario(name, server, base, token, client_id, args, framing)
                for name, framing in SENDERS
            ),
        ]
    finally:
        server.stop()


def _kind(status: int) -> str:
    return "no answer" if status == 0 else str(status)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument(
        "--unlimited", action="store_true", help="also run with MAX_BODY_BYTES=1 GiB (before)"
    )
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
        outcomes = run(db_url, args, unlimited=False)
        if args.unlimited:
            outcomes += run(db_url, args, unlimited=True)
    finally:
        pg.cleanup()
        shutil.rmtree(folder, ignore_errors=True)

    print(
        f"\n{args.workers} worker(s); GET one client at {args.connections} connections, "
        f"{args.duration} s per scenario\n"
    )
    print(
        f"{'scenario':42} {'idle MB':>8} {'peak MB':>8} {'+MB':>6} {'GET req/s':>9} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'GET err':>7} {'bodies':>6}  statuses"
    )
    for o in outcomes:
        statuses = ", ".join(f"{_kind(k)}: {v}" for k, v in sorted(o.statuses.items()))
        print(
            f"{o.name:42} {o.idle_mb:>8.0f} {o.peak_mb:>8.0f} {o.peak_mb - o.idle_mb:>6.0f} "
            f"{o.rps:>9.0f} {o.p50_ms:>7.1f} {o.p99_ms:>7.1f} {o.get_errors:>7} {o.bodies:>6}  "
            f"{statuses}"
        )
    print("\nTargets: peak RSS at most 50 MB above idle; GET p99 at most 100 ms.")


if __name__ == "__main__":
    main()
