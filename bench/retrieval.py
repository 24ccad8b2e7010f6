"""Documents and retrieval (issue 12, item 6), on an embedded PostgreSQL, printed as a table.

    python -m bench.retrieval [--chunks 20000] [--random-vectors] [--queries 200]

1. `service.search` (hybrid, k=5) over 20,000 passages of one tenant, beside a tenant of
   300 and the labelled set's tenant in the same table and index: p95 <= 50 ms, the query's
   embedding included (also without it, and the vector part as an exact scan for
   comparison). The passages are generated Spanish and English product, policy and FAQ
   text (a dozen products and sentence patterns: common words match a quarter of the
   tenant's passages, a hard case for full-text ranking), embedded with the offline model
   (about 14 ms each: five minutes), or given random unit vectors (`--random-vectors`, a
   quick run: search speed only).
2. Ingestion of a generated 100-page PDF (about 2,000 characters a page): during the
   request (`service.upload`), and by a `pixely worker` process as a job: <= 10 s.
3. recall@5 on the labelled set (tests/documents/data/retrieval: 12 documents, 47
   questions in Spanish and English): text only, vector only and hybrid.
4. RSS of that worker: idle, with the embedder loaded, and at its peak while it ingests
   the 100-page PDF: <= 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from app.core.config import Settings  # noqa: E402
from app.core.db import Database  # noqa: E402
from app.core.embedded import start_embedded, to_async_url  # noqa: E402
from app.core.migrations import upgrade  # noqa: E402
from app.core.scope import Actor, TenantScope  # noqa: E402
from app.documents import service  # noqa: E402
from app.documents.embedder import LocalEmbedder  # noqa: E402
from app.documents.models import Document  # noqa: E402
from app.documents.repository import ChunkRepository, PassageSearch  # noqa: E402
from app.tenants.models import Tenant  # noqa: E402
from tests.documents.conftest import dataset_files, language_of, questions  # noqa: E402
from tests.documents.pdf import pdf_bytes, wrap  # noqa: E402

# --- generated passages ------------------------------------------------------------------

ES_PRODUCTS = [
    "la Tarjeta Clásica",
    "la Tarjeta Platinum",
    "la Cuenta Sueldo",
    "el Crédito Vehicular",
    "el Seguro de Salud Familiar",
    "el Plan Móvil 40",
    "la Fibra Hogar 300",
    "el Seguro de Viaje",
    "el Depósito a Plazo",
    "el Préstamo Personal",
    "la Póliza de Hogar",
    "el Plan Postpago Max",
]
EN_PRODUCTS = [
    "the Starter plan",
    "the Premium plan",
    "the Travel card",
    "the Home insurance policy",
    "the Business account",
    "the Family mobile plan",
    "the Fibre 500 broadband",
    "the Pro support",
    "the Savings account",
    "the Car loan",
    "the Student card",
    "the Enterprise contract",
]
ES_SENTENCES = [
    "{p} cobra una comisión de {n} soles al mes, que se exonera con consumos desde {m} soles.",
    "Para contratar {p} necesitas tu documento de identidad y una boleta de pago reciente.",
    "{p} se puede cancelar en cualquier momento desde la app, sin penalidad después de {k} meses.",
    "Los reclamos sobre {p} se atienden en un plazo máximo de {k} días hábiles.",
    "{p} incluye asistencia las 24 horas y cobertura en todo el país.",
    "Si pagas con anticipación, {p} reduce los intereses del periodo en {k} %.",
    "La tasa efectiva anual de {p} va de {k} % a {n} %, según tu evaluación.",
    "{p} tiene un límite diario de {m} soles para operaciones por internet.",
    "Las agencias atienden consultas sobre {p} de lunes a sábado hasta las {k} de la tarde.",
    "Al renovar {p}, el precio se mantiene durante los primeros {k} meses.",
    "El cambio de titular de {p} se solicita en agencia con una carta firmada.",
    "Los beneficios de {p} no son acumulables con otras promociones vigentes.",
]
EN_SENTENCES = [
    "{p} costs {n} dollars a month, waived when you spend at least {m} dollars.",
    "To sign up for {p} you need a valid ID and a recent proof of address.",
    "{p} can be cancelled at any time in the app, with no fee after {k} months.",
    "Complaints about {p} are answered within {k} business days.",
    "{p} includes 24/7 assistance and nationwide coverage.",
    "Paying early on {p} lowers the interest of the period by {k} percent.",
    "The annual rate of {p} ranges from {k} to {n} percent depending on your profile.",
    "{p} has a daily limit of {m} dollars for online payments.",
    "Branches answer questions about {p} from Monday to Saturday until {k} pm.",
    "When you renew {p}, the price stays the same for the first {k} months.",
    "A change of holder for {p} is requested at a branch with a signed letter.",
    "The benefits of {p} cannot be combined with other current promotions.",
]
ES_TOPICS = ["Comisiones", "Requisitos", "Cancelación", "Reclamos", "Beneficios", "Tasas"]
EN_TOPICS = ["Fees", "Requirements", "Cancellation", "Complaints", "Benefits", "Rates"]


def generated_passage(rng: random.Random, language: str) -> tuple[str, str]:
    """(heading, text) of about 1,000 characters of product and policy text."""
    products = ES_PRODUCTS if language == "es" else EN_PRODUCTS
    sentences = ES_SENTENCES if language == "es" else EN_SENTENCES
    topics = ES_TOPICS if language == "es" else EN_TOPICS
    product = rng.choice(products)
    heading = f"{product.split(' ', 1)[1].capitalize()} › {rng.choice(topics)}"
    parts: list[str] = []
    while sum(len(s) + 1 for s in parts) < 950:
        sentence = rng.choice(sentences).format(
            p=product if rng.random() < 0.7 else rng.choice(products),
            n=rng.randint(5, 90),
            m=rng.randrange(100, 5000, 50),
            k=rng.randint(2, 36),
        )
        parts.append(sentence[0].upper() + sentence[1:])
    return heading, " ".join(parts)


def random_unit_vectors(n: int, rng: np.random.Generator) -> list[list[float]]:
    vectors = rng.standard_normal((n, 512)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [list(v) for v in vectors.tolist()]


# --- setup -------------------------------------------------------------------------------


async def make_tenant(db: Database, name: str, language: str = "es") -> uuid.UUID:
    async with db.session() as session, session.begin():
        tenant = Tenant(name=name, slug=f"{name.lower()}-{uuid.uuid4().hex[:6]}", language=language)
        session.add(tenant)
        await session.flush()
        return tenant.id


async def load_generated(
    db: Database,
    embedder: LocalEmbedder,
    tenant_id: uuid.UUID,
    n: int,
    *,
    random_vectors: bool,
    seed: int,
) -> float:
    """n generated passages (half Spanish, half English) in documents of 50; seconds."""
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    scope = TenantScope(tenant_id)
    started = time.perf_counter()
    per_document = 50
    for start in range(0, n, per_document):
        count = min(per_document, n - start)
        language = "es" if (start // per_document) % 2 == 0 else "en"
        passages = [generated_passage(rng, language) for _ in range(count)]
        if random_vectors:
            vectors = random_unit_vectors(count, np_rng)
        else:
            vectors = await embedder.embed([f"{h}\n{t}" for h, t in passages])
        async with db.session() as session, session.begin():
            document = Document(
                tenant_id=tenant_id,
                filename=f"generated-{start // per_document}.md",
                content_type="text/markdown",
                language=language,
                size_bytes=sum(len(t) for _, t in passages),
                sha256="0" * 64,
                status="ready",
                chunks=count,
                details={"progress": 100},
            )
            session.add(document)
            await session.flush()
            model = "bench:random" if random_vectors else embedder.model
            await ChunkRepository(session, scope).replace(
                document.id,
                [
                    {
                        "position": i,
                        "heading": h,
                        "page": None,
                        "text": t,
                        "language": language,
                        "embedding": v,
                        "embedding_model": model,
                    }
                    for i, ((h, t), v) in enumerate(zip(passages, vectors, strict=True))
                ],
            )
        if (start // per_document) % 40 == 0:
            print(f"  {start + count:>6} passages loaded ({time.perf_counter() - started:.0f} s)")
    return time.perf_counter() - started


def search_queries(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    labelled = [q.question for q in questions()]
    made = []
    for _ in range(n):
        language = rng.choice(["es", "en"])
        product = rng.choice(ES_PRODUCTS if language == "es" else EN_PRODUCTS)
        made.append(
            rng.choice(
                [
                    f"¿Cuánto cuesta {product}?",
                    f"¿Cómo cancelo {product}?",
                    f"¿Qué necesito para contratar {product}?",
                ]
                if language == "es"
                else [
                    f"How much is {product}?",
                    f"How do I cancel {product}?",
                    f"What do I need to sign up for {product}?",
                ]
            )
        )
    mixed = made[: n // 2] + [rng.choice(labelled) for _ in range(n - n // 2)]
    rng.shuffle(mixed)
    return mixed


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return p50 * 1000, p95 * 1000


# --- 1. search latency -------------------------------------------------------------------


async def search_latency(
    db: Database, embedder: LocalEmbedder, tenant_id: uuid.UUID, queries: list[str], model: str
) -> dict[str, tuple[float, float]]:
    scope = TenantScope(tenant_id)
    vectors = await embedder.embed(queries)
    out: dict[str, tuple[float, float]] = {}
    # Warm-up: plans, caches, the model.
    for q in queries[:10]:
        await service.search(db.session, scope, q, k=5, embedder=embedder)
    if model == embedder.model:
        total: list[float] = []
        for q in queries:
            started = time.perf_counter()
            await service.search(db.session, scope, q, k=5, embedder=embedder)
            total.append(time.perf_counter() - started)
        out["service.search (embedding included)"] = percentiles(total)
    sql: list[float] = []
    for q, v in zip(queries, vectors, strict=True):
        started = time.perf_counter()
        async with db.session() as session:
            await PassageSearch(session, scope).run(q, v, model, client_id=None, agent_id=None, k=5)
        sql.append(time.perf_counter() - started)
    out["hybrid query alone (SQL)"] = percentiles(sql)
    return out


EXACT_SQL = """
SELECT c.id FROM document_chunk c JOIN document d ON d.id = c.document_id
WHERE c.tenant_id = $1 AND d.tenant_id = $1 AND d.status = 'ready' AND c.embedding_model = $3
ORDER BY (c.embedding <=> CAST($2::text AS vector)) + 0
LIMIT 50
"""
HNSW_SQL = """
SELECT c.id FROM document_chunk c JOIN document d ON d.id = c.document_id
WHERE c.tenant_id = $1 AND d.tenant_id = $1 AND d.status = 'ready' AND c.embedding_model = $3
ORDER BY c.embedding <=> CAST($2::text AS vector)
LIMIT 50
"""


async def vector_part(
    db: Database, embedder: LocalEmbedder, tenant_id: uuid.UUID, queries: list[str], model: str
) -> dict[str, Any]:
    """The vector candidates alone: HNSW (iterative scan) against an exact scan of the
    tenant's rows: time, how many of the exact 50 the index found, and the plan."""
    from app.documents.repository import SEARCH_SETTINGS, _vector_text

    vectors = [_vector_text(v) for v in await embedder.embed(queries[:50])]
    if model != embedder.model:
        rng = np.random.default_rng(7)
        vectors = [_vector_text(v) for v in random_unit_vectors(50, rng)]
    times: dict[str, list[float]] = {"hnsw": [], "exact": []}
    overlap: list[float] = []
    counts: list[int] = []
    async with db.read_connection() as conn, conn.transaction():
        await conn.execute(SEARCH_SETTINGS)
        plan = await conn.fetch(
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + HNSW_SQL, tenant_id, vectors[0], model
        )
        for vector in vectors:
            started = time.perf_counter()
            hnsw = await conn.fetch(HNSW_SQL, tenant_id, vector, model)
            times["hnsw"].append(time.perf_counter() - started)
            started = time.perf_counter()
            exact = await conn.fetch(EXACT_SQL, tenant_id, vector, model)
            times["exact"].append(time.perf_counter() - started)
            counts.append(len(hnsw))
            if exact:
                overlap.append(len({r[0] for r in hnsw} & {r[0] for r in exact}) / len(exact))
    return {
        "hnsw": percentiles(times["hnsw"]),
        "exact": percentiles(times["exact"]),
        "recall_vs_exact": statistics.mean(overlap) if overlap else float("nan"),
        "min_found": min(counts),
        "plan": [r[0] for r in plan if "Scan" in r[0] or "Execution" in r[0]],
    }


# --- 2. ingestion ------------------------------------------------------------------------

PAGE_PARAGRAPHS = [
    "El presente reglamento regula el uso de {p} por parte de los clientes y establece "
    "las condiciones de contratación, los costos, los beneficios y los canales de atención.",
    "Los cargos se aplican el último día hábil de cada mes y se detallan en el estado de "
    "cuenta. El cliente puede solicitar la devolución de cargos no reconocidos dentro de "
    "los {k} días siguientes a la fecha del estado de cuenta.",
    "Las modificaciones a estas condiciones se comunicarán con {k} días de anticipación "
    "por correo electrónico o mediante la aplicación, y el cliente podrá resolver el "
    "contrato sin penalidad si no está de acuerdo con ellas.",
]


def hundred_page_pdf(seed: int = 3) -> bytes:
    rng = random.Random(seed)
    pages = []
    for number in range(100):
        lines: list[str] = [f"Sección {number + 1}"]
        while sum(len(line) for line in lines) < 2000:
            _heading, body = generated_passage(rng, "es")
            paragraph = rng.choice(PAGE_PARAGRAPHS).format(
                p=rng.choice(ES_PRODUCTS), k=rng.randint(5, 60)
            )
            lines += wrap(paragraph + " " + body[:600], 95)
        pages.append(lines[:52])
    return pdf_bytes(pages)


async def ingest_now(db: Database, embedder: LocalEmbedder, tenant_id: uuid.UUID) -> dict[str, Any]:
    data = hundred_page_pdf()
    settings = Settings(environment="test", document_sync_max_pages=1000, _env_file=None)  # type: ignore[call-arg]
    actor = Actor(tenant_id=tenant_id)
    started = time.perf_counter()
    answer = await service.upload(
        db,
        settings,
        embedder,
        actor,
        service.Upload("reglamento-100.pdf", "application/pdf", data),
        client_id=None,
        agent_id=None,
        language="es",
        idempotency_key=None,
        request_hash="",
    )
    seconds = time.perf_counter() - started
    body = json.loads(bytes(answer.body))
    return {
        "seconds": seconds,
        "pages": body["pages"],
        "chunks": body["chunks"],
        "bytes": len(data),
    }


def _sample_rss(proc: psutil.Process, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        try:
            out.append(proc.memory_info().rss / 2**20)
        except psutil.Error:
            return
        time.sleep(0.05)


async def ingest_by_worker(db: Database, url: str, tenant_id: uuid.UUID) -> dict[str, Any]:
    """A `pixely worker` process reads the 100-page PDF as a job: time from the upload's
    answer to `ready`, and the worker's RSS (idle, then its peak)."""
    worker = _start_worker(url)
    proc = psutil.Process(worker.pid)
    try:
        await asyncio.sleep(6)  # imports, connections, the first poll
        idle = proc.memory_info().rss / 2**20
        results: dict[str, Any] = {"idle_rss": idle}
        samples: list[float] = []
        stop = threading.Event()
        sampler = threading.Thread(target=_sample_rss, args=(proc, stop, samples), daemon=True)
        sampler.start()
        settings = Settings(environment="test", _env_file=None)  # type: ignore[call-arg]
        for attempt in ("first (loads the model)", "second"):
            started = time.perf_counter()
            answer = await service.upload(
                db,
                settings,
                LocalEmbedder(),  # not used: the document is read by the worker's embedder
                Actor(tenant_id=tenant_id),
                service.Upload("reglamento-100.pdf", "application/pdf", hundred_page_pdf()),
                client_id=None,
                agent_id=None,
                language="es",
                idempotency_key=None,
                request_hash="",
            )
            assert answer.status_code == 202, answer.body
            document_id = uuid.UUID(json.loads(bytes(answer.body))["id"])
            status = "pending"
            progress: list[int] = []
            while status == "pending" and time.perf_counter() - started < 120:
                await asyncio.sleep(0.1)
                async with db.session() as session:
                    row = await service.get_document(session, TenantScope(tenant_id), document_id)
                status = row.status
                if not progress or progress[-1] != row.progress:
                    progress.append(row.progress)
            results[attempt] = {
                "seconds": time.perf_counter() - started,
                "status": status,
                "progress": progress,
            }
        stop.set()
        sampler.join()
        results["after_rss"] = proc.memory_info().rss / 2**20
        results["peak_rss"] = max(samples) if samples else float("nan")
        return results
    finally:
        _stop_worker(worker)


def _start_worker(url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "WORKER_CONCURRENCY": "1",
        "SEED_DEMO": "false",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop_worker(worker: subprocess.Popen[bytes]) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()


# --- 3. recall ---------------------------------------------------------------------------


async def recall(db: Database, embedder: LocalEmbedder, tenant_id: uuid.UUID) -> dict[str, Any]:
    actor = Actor(tenant_id=tenant_id)
    settings = Settings(environment="test", _env_file=None)  # type: ignore[call-arg]
    names: dict[uuid.UUID, str] = {}
    for path in dataset_files():
        answer = await service.upload(
            db,
            settings,
            embedder,
            actor,
            service.Upload(path.name, None, path.read_bytes()),
            client_id=None,
            agent_id=None,
            language=language_of(path),
            idempotency_key=None,
            request_hash="",
        )
        names[uuid.UUID(json.loads(bytes(answer.body))["id"])] = path.name
    scope = TenantScope(tenant_id)
    labelled = questions()
    vectors = await embedder.embed([q.question for q in labelled])
    hits: dict[str, dict[str, list[bool]]] = {}
    for question, vector in zip(labelled, vectors, strict=True):
        for order in ("text", "vector", "fused"):
            async with db.session() as session:
                rows = await PassageSearch(session, scope).run(
                    question.question,
                    vector,
                    embedder.model,
                    client_id=None,
                    agent_id=None,
                    k=5,
                    order=order,
                )
            rows = [r for r in rows if order == "fused" or r[f"{order}_rank"] is not None]
            found = any(
                names[r["document_id"]] == question.document and question.answer in r["text"]
                for r in rows
            )
            for group in ("all", question.language):
                hits.setdefault(order, {}).setdefault(group, []).append(found)
    return {
        order: {group: (sum(v), len(v)) for group, v in groups.items()}
        for order, groups in hits.items()
    }


# --- main --------------------------------------------------------------------------------


async def run(url: str, args: argparse.Namespace) -> None:
    db = Database(url, pool_size=4)
    embedder = LocalEmbedder()
    try:
        big = await make_tenant(db, "Big")
        small = await make_tenant(db, "Small")
        labelled = await make_tenant(db, "Labelled")
        ingest_tenant = await make_tenant(db, "Ingest")
        model = "bench:random" if args.random_vectors else embedder.model
        print(f"Loading {args.chunks} generated passages ({model})...")
        load_seconds = await load_generated(
            db, embedder, big, args.chunks, random_vectors=args.random_vectors, seed=1
        )
        await load_generated(db, embedder, small, 300, random_vectors=args.random_vectors, seed=2)
        print("recall@5 on the labelled set...")
        recalled = await recall(db, embedder, labelled)
        async with db.session() as session, session.begin():
            await session.execute(text("ANALYZE document_chunk"))
            await session.execute(text("ANALYZE document"))
        queries = search_queries(args.queries, seed=5)
        print("search latency...")
        latency_big = await search_latency(db, embedder, big, queries, model)
        latency_small = await search_latency(db, embedder, small, queries, model)
        vectors_big = await vector_part(db, embedder, big, queries, model)
        vectors_small = await vector_part(db, embedder, small, queries, model)
        print("ingestion...")
        now = await ingest_now(db, embedder, ingest_tenant)
        by_worker = await ingest_by_worker(db, url, ingest_tenant)
    finally:
        await db.dispose()

    print(f"\nLoaded {args.chunks} passages in {load_seconds:.0f} s ({model}).\n")
    print(f"{'measure':58} {'p50 ms':>8} {'p95 ms':>8}")
    for tenant, latency in ((f"{args.chunks:,}", latency_big), ("300", latency_small)):
        for name, (p50, p95) in latency.items():
            print(f"{name + ', tenant of ' + tenant:58} {p50:>8.1f} {p95:>8.1f}")
    for tenant, part in ((f"{args.chunks:,}", vectors_big), ("300", vectors_small)):
        for kind in ("hnsw", "exact"):
            p50, p95 = part[kind]
            label = f"vector top-50 alone, {kind}, tenant of {tenant}"
            print(f"{label:58} {p50:>8.1f} {p95:>8.1f}")
        print(
            f"  HNSW found {part['recall_vs_exact']:.1%} of the exact top 50 (at least "
            f"{part['min_found']} rows); plan: {' / '.join(s.strip() for s in part['plan'])}"
        )
    print(f"\n{'recall@5 (labelled set)':24} {'all':>10} {'Spanish':>10} {'English':>10}")
    for order, label in (("text", "text only"), ("vector", "vector only"), ("fused", "hybrid")):
        groups = recalled[order]
        cells = [
            f"{groups[g][0]}/{groups[g][1]}={groups[g][0] / groups[g][1]:.0%}"
            for g in ("all", "es", "en")
        ]
        print(f"{label:24} {cells[0]:>10} {cells[1]:>10} {cells[2]:>10}")
    print(
        f"\nIngestion of a 100-page PDF ({now['bytes'] / 1024:.0f} KB, {now['chunks']} passages) "
        f"during the request: {now['seconds']:.1f} s"
    )
    for attempt in ("first (loads the model)", "second"):
        result = by_worker[attempt]
        print(
            f"  by a pixely worker, {attempt}: {result['seconds']:.1f} s to {result['status']} "
            f"(progress seen: {result['progress']})"
        )
    print(
        f"Worker RSS: idle {by_worker['idle_rss']:.0f} MB, peak while ingesting "
        f"{by_worker['peak_rss']:.0f} MB, after {by_worker['after_rss']:.0f} MB (embedder loaded)"
    )
    print(
        "\nTargets: search p95 <= 50 ms over 20,000 passages; a 100-page PDF <= 10 s; worker "
        "<= 300 MB with the embedder loaded."
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--random-vectors", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="pixely-bench-retrieval-"))
    pg = start_embedded(folder / "pgdata", cleanup_mode="delete")
    try:
        url = to_async_url(pg.get_uri())
        upgrade(url)
        asyncio.run(run(url, args))
    finally:
        pg.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
