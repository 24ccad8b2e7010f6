"""The FastAPI application."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import text

from app.analyses import registry
from app.analyses.tasks import WorkerContext, chores, set_worker_context
from app.api import API_ROUTERS
from app.core.auth import document_security
from app.core.body_limit import BodyLimitMiddleware
from app.core.config import Settings, get_settings
from app.core.db import Database
from app.core.docs import install_docs
from app.core.embedded import start_embedded, to_async_url
from app.core.errors import DatabaseUnavailable, install_error_handlers, problem_responses
from app.core.jobs import runtime_app, start_background_worker
from app.core.logging import configure_logging
from app.core.nul_guard import RejectNulQueryMiddleware
from app.core.openapi import complete_openapi
from app.core.rendered import RenderedRows
from app.core.routing import mount_flat
from app.core.security import PasswordHasher
from app.core.session import RetryReads
from app.core.timing import ServerTimingMiddleware
from app.documents.embedder import make_embedder
from app.documents.tasks import IngestContext, set_ingest_context

DESCRIPTION = """
Pixely keeps an agency's clients (the brands it analyses), their social accounts, posts
and account metrics, and runs analyses on them.

**Authenticate** with the *Authorize* button (email and password of a user; the demo
login is printed by `pixely serve`), or send an `X-API-Key` header.
Errors are `application/problem+json` (RFC 9457).
"""

# Written from the registry: a new question folder is described here by itself.
ANALYSES = (
    "Run the questions on a client's posts (one now, or several as a job), read the "
    "history, the latest insights, and analyse loose texts. A question is named by its "
    "key or its slug (`POST /clients/{client_id}/analyses/{question}`); a job runs "
    "several, each after the questions it reads. The questions:\n\n"
    + "\n".join(
        f"- **{q.key}** `{q.slug}`, *{q.title}*: {q.summary}"
        + (f" Reads {', '.join(d.key for d in q.depends_on)}." if q.depends_on else "")
        for q in registry.QUESTIONS
    )
)
TAGS = [
    {"name": "auth", "description": "Register, log in, rotate and revoke tokens."},
    {"name": "tenant", "description": "The current agency: users, API keys, audit log."},
    {"name": "admin", "description": "Platform superusers: every tenant."},
    {"name": "clients", "description": "The brands an agency analyses and their accounts."},
    {"name": "posts and metrics", "description": "A client's posts and audience metrics."},
    {"name": "analyses", "description": ANALYSES},
    {
        "name": "forecasting",
        "description": "Follower forecasts of an account: versioned models, their hold-out "
        "errors, and daily predictions with 80% and 95% intervals.",
    },
    {
        "name": "clustering",
        "description": "Groups of a client's posts by engagement (versioned), with names, "
        "sizes and their most typical posts.",
    },
    {
        "name": "agents",
        "description": "The agency's agents: staged flows (an onboarding of seven stages, "
        "say) and assistants grounded in its data and documents, with versioned prompts.",
    },
    {
        "name": "chat",
        "description": "Turns with an agent (JSON or server-sent events), conversations and "
        "their messages, and the chat endpoint of an existing product with its own tokens.",
    },
    {
        "name": "documents",
        "description": "Documents the agents answer from: PDF, Markdown and text, chunked "
        "and indexed for full-text and vector search.",
    },
    {"name": "health", "description": "Liveness and readiness."},
]


# Collector thresholds for a serving process: (young, middle, old); see the lifespan.
GC_THRESHOLDS = (50_000, 20, 10)


def database_url(settings: Settings) -> str:
    """The configured URL, or one for the embedded server started by `pixely serve`."""
    url = settings.database_url or os.environ.get("PIXELY_EMBEDDED_URL")
    if url:
        return to_async_url(url)
    server = start_embedded(settings.pgdata_dir)
    return to_async_url(server.get_uri())


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_db = db is None
        app.state.db = db or Database.from_settings(settings, database_url(settings))
        app.state.hasher = PasswordHasher(
            settings.password_hash_workers, settings.password_hash_queue
        )
        app.state.http_client = httpx.AsyncClient(timeout=settings.openai_timeout_seconds)
        jobs = runtime_app(app.state.db.url)
        await jobs.open_async()
        app.state.jobs = jobs
        context = WorkerContext(app.state.db, settings, app.state.http_client)
        set_worker_context(context)
        # One embedder per process (the local model loads on first use), for requests and jobs.
        app.state.embedder = make_embedder(settings, app.state.http_client)
        set_ingest_context(
            IngestContext(app.state.db, app.state.embedder, settings, app.state.http_client)
        )
        worker = (
            start_background_worker(jobs, settings.worker_concurrency, chores(context))
            if settings.run_worker_in_process
            else None
        )
        # Long-lived start-up objects leave the collector's scans; fewer, shorter GC pauses
        # on the request path (they showed in p99 under load).
        gc.collect()
        gc.freeze()
        # A page of 50 posts allocates hundreds of containers: with the default threshold
        # (700) the young generation was collected every two or three requests, each time
        # scanning the objects of every request in flight, about 8% of a worker's CPU.
        # Reference counting still frees almost everything; only cycles wait longer.
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            yield
        finally:
            if worker is not None:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await worker
            await jobs.close_async()
            await app.state.http_client.aclose()
            app.state.hasher.shutdown()
            if own_db:
                await app.state.db.dispose()

    app = FastAPI(
        title="Pixely API",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        swagger_ui_parameters={"persistAuthorization": True},
        # Served by install_docs (app/core/docs.py) from the API itself: no CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    # Each post as rendered for the list, by row version, per worker (app/core/rendered.py).
    app.state.rendered_posts = RenderedRows(settings.post_list_cache_mb * 2**20)
    app.state.chat_turns = set()  # streamed turns still running (a client may have left)
    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "Retry-After", "Location", "Server-Timing"],
        )
    # Innermost: sees the outage handler's RetryRequest (app/core/session.py).
    app.add_middleware(RetryReads)
    app.add_middleware(RejectNulQueryMiddleware)
    app.add_middleware(BodyLimitMiddleware, settings=settings, router=app.router)
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")
    app.add_middleware(ServerTimingMiddleware)  # outermost: the whole handling
    mount_flat(app, *API_ROUTERS)
    install_docs(app)
    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate_openapi()
            document_security(schema, app.routes)
            # The statuses every operation can answer, errors as problems, no NUL in text.
            complete_openapi(schema)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/health", tags=["health"], summary="Liveness: the process answers")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/ready",
        tags=["health"],
        summary="Readiness: the database answers",
        responses=problem_responses(503),
    )
    async def ready(request: Request) -> dict[str, Any]:
        database: Database = request.app.state.db
        try:
            async with database.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            raise DatabaseUnavailable("The database is not reachable")
        return {"status": "ready", "database": "ok"}

    return app
