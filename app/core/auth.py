"""The current caller: `get_auth_context` is the only producer of the current tenant.

It accepts a bearer JWT (ours, or a configured external issuer's) or an `X-API-Key`,
checks that the user (or key) and its tenant are still active, and returns an
`AuthContext`. `require_role` guards writes. A user found active is trusted for
`AUTH_RECHECK_SECONDS` (1 s) in that worker; changes to users and tenants forget it
in the worker that makes them. API keys are checked on every request.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from asgi_correlation_id import correlation_id
from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from starlette.routing import BaseRoute

from app.core.config import Settings, get_settings
from app.core.enums import ROLE_RANK, Role
from app.core.errors import Forbidden, Unauthorized
from app.core.scope import Actor, TenantScope
from app.core.security import constant_time_equals, decode_token, sha256_hex
from app.core.session import request_connection

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)

API_KEY_PREFIX = "pk_"
# last_used_at is refreshed at most this often, to keep reads free of writes.
_LAST_USED_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class AuthContext:
    tenant_id: uuid.UUID
    role: Role
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    email: str | None = None
    is_superuser: bool = False
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None

    def has_role(self, minimum: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[minimum]

    @property
    def scope(self) -> TenantScope:
        """The caller's tenant, for repositories."""
        return TenantScope(self.tenant_id)

    @property
    def actor(self) -> Actor:
        """The caller as the audit log records it."""
        return Actor(
            tenant_id=self.tenant_id,
            user_id=self.user_id,
            api_key_id=self.api_key_id,
            email=self.email,
            ip=self.ip,
            user_agent=self.user_agent,
            request_id=self.request_id,
        )


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _context(request: Request, **kwargs: object) -> AuthContext:
    return AuthContext(
        ip=client_ip(request),
        user_agent=(request.headers.get("user-agent") or "")[:400] or None,
        request_id=correlation_id.get(),
        **kwargs,  # type: ignore[arg-type]
    )


async def get_auth_context(request: Request) -> AuthContext:
    """Needs the database only to check a user not seen in the last
    `AUTH_RECHECK_SECONDS`, or an API key; then it uses the request's connection
    (`request_connection`), or a short one of its own if the handler holds none yet.

    The two credentials are read by their FastAPI security schemes called here, not
    declared as dependencies of their own: FastAPI solves every dependency again on every
    request. `document_security` puts the schemes in the OpenAPI document instead.
    """
    token = await oauth2_scheme(request)
    api_key = await api_key_scheme(request)
    settings: Settings = request.app.state.settings
    if token:
        return await _from_token(request, settings, token)
    if api_key:
        return await _from_api_key(request, api_key)
    raise Unauthorized("Missing bearer token or X-API-Key")


# Runs on every authenticated request: sent straight to asyncpg (a cached prepared
# statement), which costs a fraction of an ORM round trip. Inactive users or tenants
# find no row, so their tokens stop working at once.
_ACTIVE_USER_SQL = (
    'SELECT u.id, u.tenant_id, u.role, u.email, u.is_superuser FROM "user" u '
    "JOIN tenant t ON t.id = u.tenant_id "
    "WHERE u.id = $1 AND u.tenant_id = $2 AND u.is_active AND t.is_active"
)
_ACTIVE_EXTERNAL_USER_SQL = (
    'SELECT u.id, u.tenant_id, u.role, u.email, u.is_superuser FROM "user" u '
    "JOIN tenant t ON t.id = u.tenant_id "
    "WHERE u.email = $1 AND u.is_active AND t.is_active"
)


class _ActiveUsers:
    """Users recently found active, by token subject: (user row, when it was read).

    A frontend sends bursts of requests with one token; asking the database once per
    `AUTH_RECHECK_SECONDS` instead of once per request saves a round trip on every read.
    Bounded: cleared when full (a refill costs one query per user).
    """

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._rows: dict[tuple[str, str | None, bool], tuple[Any, float]] = {}

    def get(self, key: tuple[str, str | None, bool], max_age: float) -> Any:
        found = self._rows.get(key)
        if found is None:
            return None
        row, read_at = found
        if time.monotonic() - read_at >= max_age:
            self._rows.pop(key, None)
            return None
        return row

    def put(self, key: tuple[str, str | None, bool], row: Any) -> None:
        if len(self._rows) >= self._size:
            self._rows.clear()
        self._rows[key] = (row, time.monotonic())

    def forget(
        self, *, user_id: uuid.UUID | None = None, tenant_id: uuid.UUID | None = None
    ) -> None:
        """Drop the entries of a user or of every user of a tenant (after changing them)."""
        for key, (row, _) in list(self._rows.items()):
            if row["id"] == user_id or row["tenant_id"] == tenant_id:
                self._rows.pop(key, None)

    def clear(self) -> None:
        self._rows.clear()


active_users = _ActiveUsers()


async def _from_token(request: Request, settings: Settings, token: str) -> AuthContext:
    claims = decode_token(settings, token)
    key = (claims.sub, claims.tenant_id, claims.external)
    row = active_users.get(key, settings.auth_recheck_seconds)
    if row is None:
        async with request_connection(request) as conn:
            row = await _active_user_row(conn, claims.sub, claims.tenant_id, claims.external)
        if row is None:
            raise Unauthorized("User is inactive or no longer exists")
        if settings.auth_recheck_seconds > 0:
            active_users.put(key, row)
    return _context(
        request,
        tenant_id=row["tenant_id"],
        role=Role(row["role"]),
        user_id=row["id"],
        email=row["email"],
        is_superuser=row["is_superuser"],
    )


async def _active_user_row(conn: Any, sub: str, tenant_id: str | None, external: bool) -> Any:
    if external:
        return await conn.fetchrow(_ACTIVE_EXTERNAL_USER_SQL, sub)
    try:
        user_uuid = uuid.UUID(sub)
        tenant_uuid = uuid.UUID(tenant_id or "")
    except ValueError:
        raise Unauthorized("Invalid token")
    return await conn.fetchrow(_ACTIVE_USER_SQL, user_uuid, tenant_uuid)


_API_KEY_SQL = (
    "SELECT k.id, k.tenant_id, k.role, k.key_hash, k.revoked_at, k.expires_at, "
    "k.last_used_at, t.is_active FROM api_key k JOIN tenant t ON t.id = k.tenant_id "
    "WHERE k.prefix = $1"
)
_API_KEY_USED_SQL = "UPDATE api_key SET last_used_at = $2 WHERE id = $1"


async def _from_api_key(request: Request, raw: str) -> AuthContext:
    # Format: pk_<prefix>_<secret>; the prefix finds the row, the hash proves the secret.
    parts = raw.split("_", 2)
    if len(parts) != 3 or f"{parts[0]}_" != API_KEY_PREFIX:
        raise Unauthorized("Invalid API key")
    prefix = parts[1]
    async with request_connection(request) as conn:
        row = await conn.fetchrow(_API_KEY_SQL, prefix)
        now = datetime.now(UTC)
        if row is None or not constant_time_equals(row["key_hash"], sha256_hex(raw)):
            raise Unauthorized("Invalid API key")
        if (
            row["revoked_at"] is not None
            or not row["is_active"]
            or (row["expires_at"] is not None and row["expires_at"] <= now)
        ):
            raise Unauthorized("API key revoked or expired")
        if row["last_used_at"] is None or now - row["last_used_at"] > _LAST_USED_GRANULARITY:
            await conn.execute(_API_KEY_USED_SQL, row["id"], now)
    return _context(
        request, tenant_id=row["tenant_id"], role=Role(row["role"]), api_key_id=row["id"]
    )


def document_security(schema: dict[str, Any], routes: Sequence[BaseRoute]) -> None:
    """Mark every operation that authenticates with the two schemes (either one will
    do), as FastAPI would for scheme dependencies, so Swagger's Authorize sends them."""
    schemes = (oauth2_scheme, api_key_scheme)
    components = schema.setdefault("components", {}).setdefault("securitySchemes", {})
    for scheme in schemes:
        components[scheme.scheme_name] = scheme.model.model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
    requirement: list[dict[str, list[str]]] = [{scheme.scheme_name: []} for scheme in schemes]
    for route in routes:
        if isinstance(route, APIRoute) and _authenticates(route.dependant):
            for method in route.methods or ():
                schema["paths"][route.path_format][method.lower()]["security"] = requirement


def _authenticates(dependant: Dependant) -> bool:
    return dependant.call is get_auth_context or any(
        _authenticates(sub) for sub in dependant.dependencies
    )


# Authentication holds a database connection only while it checks (see
# get_auth_context): endpoints that run long work (analyses) and take no session hold
# none while they compute.
AuthDep = Annotated[AuthContext, Depends(get_auth_context)]


def require_role(minimum: Role) -> object:
    async def checker(auth: AuthDep) -> AuthContext:
        if not auth.has_role(minimum):
            raise Forbidden(f"This action needs the {minimum.value} role or higher")
        return auth

    return Depends(checker)


async def _superuser(auth: AuthDep) -> AuthContext:
    if not auth.is_superuser:
        raise Forbidden("Platform superusers only")
    return auth


ReaderDep = AuthDep
AnalystDep = Annotated[AuthContext, require_role(Role.analyst)]
AdminDep = Annotated[AuthContext, require_role(Role.admin)]
OwnerDep = Annotated[AuthContext, require_role(Role.owner)]
SuperuserDep = Annotated[AuthContext, Depends(_superuser)]

__all__ = [
    "AdminDep",
    "AnalystDep",
    "AuthContext",
    "AuthDep",
    "OwnerDep",
    "ReaderDep",
    "SuperuserDep",
    "get_settings",
]
