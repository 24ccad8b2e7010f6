"""Application settings, read from the environment (and a local `.env`).

Every option is listed in `.env.example` and in the README's configuration table.
Secrets have a usable default only in development and test: in production the app
refuses to start without them.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_DEV_SECRET = "dev-only-insecure-secret-change-me-0123456789abcdef"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", case_sensitive=False, env_ignore_empty=True
    )

    environment: Literal["development", "test", "production"] = "development"
    log_level: str = "INFO"
    log_json: bool = False

    # Database. Empty DATABASE_URL -> an embedded PostgreSQL in DATA_DIR/pgdata.
    database_url: str | None = None
    data_dir: Path = Path(".pixely")
    # Per worker. Waiting for a connection in the worker's first-come-first-served queue
    # is fairer than waiting inside PostgreSQL: with 2 workers on 2 cores the posts list's
    # p99 fell by a fifth from 10 to 4-6 each, at the same throughput; at 4, eight
    # concurrent logins (row locks) held every connection, hence 6.
    db_pool_size: int = Field(default=6, ge=1, le=200)
    db_max_overflow: int = Field(default=0, ge=0, le=200)
    db_pool_timeout: float = Field(default=10.0, gt=0)
    db_echo: bool = False
    # Pre-ping costs BEGIN; ping; ROLLBACK (3 round trips) on every checkout: off by
    # default. A connection the server closed is replaced on checkout without it (asyncpg
    # knows it is closed), and a read whose connection dies under it runs once more.
    db_pool_pre_ping: bool = False
    db_pool_recycle_seconds: int = Field(default=1800, ge=-1)
    # Retry-After (seconds) of the 503 answered while the database cannot be reached.
    db_retry_after_seconds: int = Field(default=2, ge=1, le=3600)
    # The embedded PostgreSQL (no DATABASE_URL): how often `pixely serve` and `pixely
    # worker` check that it runs, restarting it if it stopped; 0: never.
    embedded_db_check_seconds: float = Field(default=1.0, ge=0, le=3600)
    # How PostgreSQL plans our prepared statements (asyncpg prepares every statement).
    # Its default ("auto") re-plans a statement on every execution whenever the generic
    # plan's estimate looks costlier than a custom one, even when both are the same plan.
    # Pixely's statements are tenant-scoped index range scans whose plan does not depend
    # on the values, so they are planned once. "server" sends nothing (e.g. behind a
    # pooler that rejects startup parameters).
    db_plan_cache_mode: Literal["force_generic_plan", "auto", "force_custom_plan", "server"] = (
        "force_generic_plan"
    )

    # Posts rendered as JSON for the list, kept per worker by row version (a post is
    # rendered once per change, not on every page that shows it); 0 turns it off.
    post_list_cache_mb: int = Field(default=32, ge=0, le=4096)

    # HTTP server (used by `pixely serve`).
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    cors_origins: list[str] = Field(default_factory=list)
    # Peers (addresses or networks, comma-separated; "*" for any) whose X-Forwarded-For
    # and X-Forwarded-Proto are believed. Empty: nobody's, the peer is the client.
    forwarded_allow_ips: str = ""
    seed_demo: bool = True

    # Tokens.
    secret_key: SecretStr = SecretStr(_DEV_SECRET)
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    jwt_issuer: str = "pixely"
    jwt_audience: str = "pixely-api"
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)

    # Tokens from an external issuer sharing an HS256 secret (e.g. a Django site).
    external_jwt_secret: SecretStr | None = None
    external_jwt_issuer: str | None = None
    external_jwt_audience: str | None = None
    # The longest lifetime (exp - iat) accepted in such a token; ours are capped at
    # ACCESS_TOKEN_MINUTES.
    external_jwt_max_lifetime_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    # The claim of such a token that holds the product's user id (POST /api/v1/chat/),
    # matched against users' `external_id`.
    external_jwt_user_claim: str = Field(default="user_id", min_length=1, max_length=64)

    # Passwords and login throttling.
    password_hash_workers: int = Field(default=2, ge=1, le=32)
    password_hash_queue: int = Field(default=64, ge=1, le=10_000)
    # Failed logins per (address, email) pair and per address in one window.
    login_max_attempts: int = Field(default=10, ge=1)
    login_max_attempts_per_address: int = Field(default=50, ge=1)
    login_window_seconds: int = Field(default=300, ge=1)
    # How long a token's user, once found active in the database, is trusted without
    # asking again (per worker). Deactivations and role changes apply at once in the
    # worker that makes them, within this many seconds in the others. 0: every request.
    auth_recheck_seconds: float = Field(default=1.0, ge=0, le=60)

    # Request bodies: the most any route takes, unless it declares a larger limit
    # (app/core/body_limit.py; the imports take IMPORT_MAX_BYTES).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)

    # Imports.
    import_max_rows: int = Field(default=100_000, ge=1)
    import_max_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)

    # Documents (retrieval): the largest upload; what is read during the request (a PDF
    # of up to DOCUMENT_SYNC_MAX_PAGES pages, a text or Markdown file of up to
    # DOCUMENT_SYNC_MAX_BYTES; larger ones are read by a job); the embedder of passages.
    document_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, le=1024**3)
    document_sync_max_pages: int = Field(default=20, ge=0, le=100_000)
    document_sync_max_bytes: int = Field(default=100_000, ge=0, le=1024**3)
    embedding_engine: Literal["local", "openai"] = "local"
    embedding_model: str = Field(default="text-embedding-3-small", min_length=1, max_length=100)

    # Analyses.
    analysis_engine: Literal["local", "openai"] = "local"
    analysis_default_window_days: int = Field(default=90, ge=1, le=3650)
    analysis_max_posts: int = Field(default=200_000, ge=1)
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_timeout_seconds: float = Field(default=60.0, gt=0)
    openai_max_retries: int = Field(default=3, ge=0, le=10)
    # Hosts a tenant's AI endpoint may use although they resolve to non-public addresses.
    ai_endpoint_allowed_hosts: list[str] = Field(default_factory=list)
    # One run's whole exchange with a model (attempts, retries and the repair call).
    analysis_run_deadline_seconds: float = Field(default=60.0, gt=0, le=3600)
    # A run still 'running' this long after it started belongs to a process that stopped.
    analysis_stale_run_minutes: int = Field(default=15, ge=1, le=1440)

    # Jobs (procrastinate). With run_worker_in_process the API process also works jobs
    # (the embedded default); docker-compose runs a separate worker service instead.
    run_worker_in_process: bool = True
    worker_concurrency: int = Field(default=4, ge=1, le=64)

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _addresses_or_networks(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in entries:
            if entry != "*":
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    raise ValueError(f"not an IP address or network: {entry!r}") from None
        return ",".join(entries)

    @model_validator(mode="after")
    def _secrets_required_in_production(self) -> Settings:
        if self.environment == "production":
            if self.secret_key.get_secret_value() == _DEV_SECRET:
                raise ValueError("SECRET_KEY must be set in production")
            if len(self.secret_key.get_secret_value()) < 32:
                raise ValueError("SECRET_KEY must be at least 32 characters")
            if not self.database_url:
                raise ValueError("DATABASE_URL must be set in production")
        return self

    @property
    def pgdata_dir(self) -> Path:
        return self.data_dir / "pgdata"


@lru_cache
def get_settings() -> Settings:
    return Settings()
