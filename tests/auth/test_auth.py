"""Registration, login, token rotation and every way a bad token must be refused."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from jose import jwt
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import LoginThrottle
from app.core.config import Settings
from app.core.enums import Role
from app.core.security import create_access_token, pwd_context
from app.tenants.models import AuditEvent, RefreshToken, User
from tests.factories import PASSWORD, TenantWorld, assert_problem

ME = "/api/v1/auth/me"


def _claims(settings: Settings, world: TenantWorld, **override: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": str(world.users[Role.owner].id),
        "tid": str(world.tenant.id),
        "typ": "access",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
    }
    claims.update(override)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(settings: Settings, claims: dict[str, object], key: str | None = None) -> str:
    return jwt.encode(claims, key or settings.secret_key.get_secret_value(), algorithm="HS256")


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def _me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get(ME, headers={"Authorization": f"Bearer {token}"})


async def test_valid_token_is_accepted(
    client: httpx.AsyncClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    r = await _me(client, _sign(settings, _claims(settings, tenant_a)))
    assert r.status_code == 200, r.text
    assert r.json()["tenant"]["id"] == str(tenant_a.tenant.id)


@pytest.mark.parametrize(
    ("name", "override"),
    [
        ("expired", {"exp": int(time.time()) - 60, "iat": int(time.time()) - 700}),
        ("missing exp", {"exp": None}),
        ("missing iat", {"iat": None}),
        ("missing sub", {"sub": None}),
        ("wrong audience", {"aud": "someone-else"}),
        ("missing audience", {"aud": None}),
        ("wrong issuer", {"iss": "evil"}),
        ("missing issuer", {"iss": None}),
        ("not an access token", {"typ": "refresh"}),
        ("sub not a uuid", {"sub": "admin"}),
        ("tenant of another world", {"tid": "00000000-0000-0000-0000-000000000000"}),
        ("iat in the future", {"iat": int(time.time()) + 120, "exp": int(time.time()) + 700}),
        ("exp a century ahead", {"exp": int(time.time()) + 100 * 365 * 24 * 3600}),
        # ACCESS_TOKEN_MINUTES is 15: 17 minutes is more than this server ever issues.
        ("lifetime over ACCESS_TOKEN_MINUTES", {"exp": int(time.time()) + 17 * 60}),
        ("exp before iat", {"exp": int(time.time()) + 60, "iat": int(time.time()) + 120}),
    ],
)
async def test_bad_claims_are_401(
    client: httpx.AsyncClient,
    settings: Settings,
    tenant_a: TenantWorld,
    name: str,
    override: dict[str, object],
) -> None:
    r = await _me(client, _sign(settings, _claims(settings, tenant_a, **override)))
    assert_problem(r, 401)


async def test_clock_skew_within_the_leeway_is_accepted(
    client: httpx.AsyncClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    """Another server's clock a few seconds ahead (iat slightly in the future, lifetime
    exactly ACCESS_TOKEN_MINUTES) is not a reason to refuse."""
    now = int(time.time())
    lifetime = settings.access_token_minutes * 60
    token = _sign(settings, _claims(settings, tenant_a, iat=now + 10, exp=now + 10 + lifetime))
    assert (await _me(client, token)).status_code == 200


EXTERNAL_SECRET = "external-issuer-shared-secret-0123456789"


@pytest.fixture
def external_issuer(settings: Settings) -> Iterator[Settings]:
    """The shared settings, for one test, accepting a Django site's tokens."""
    saved = (
        settings.external_jwt_secret,
        settings.external_jwt_issuer,
        settings.external_jwt_audience,
    )
    settings.external_jwt_secret = SecretStr(EXTERNAL_SECRET)
    settings.external_jwt_issuer = "django-site"
    settings.external_jwt_audience = "pixely"
    try:
        yield settings
    finally:
        (
            settings.external_jwt_secret,
            settings.external_jwt_issuer,
            settings.external_jwt_audience,
        ) = saved


def _external(tenant: TenantWorld, iat: int, exp: int) -> str:
    claims = {
        "sub": tenant.users[Role.analyst].email,
        "iss": "django-site",
        "aud": "pixely",
        "iat": iat,
        "exp": exp,
    }
    return jwt.encode(claims, EXTERNAL_SECRET, algorithm="HS256")


async def test_external_token_lifetime_is_capped(
    client: httpx.AsyncClient, external_issuer: Settings, tenant_a: TenantWorld
) -> None:
    now = int(time.time())
    longest = external_issuer.external_jwt_max_lifetime_minutes * 60
    accepted = await _me(client, _external(tenant_a, now, now + longest))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["email"] == tenant_a.users[Role.analyst].email
    assert_problem(await _me(client, _external(tenant_a, now, now + longest + 120)), 401)
    assert_problem(await _me(client, _external(tenant_a, now, now + 100 * 365 * 86400)), 401)
    assert_problem(await _me(client, _external(tenant_a, now + 120, now + 600)), 401)


async def test_other_key_is_401(
    client: httpx.AsyncClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    token = _sign(settings, _claims(settings, tenant_a), key="another-secret-" * 4)
    assert_problem(await _me(client, token), 401)


async def test_alg_none_is_401(
    client: httpx.AsyncClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(settings, tenant_a))}."
    assert_problem(await _me(client, token), 401)


async def test_tampered_payload_is_401(
    client: httpx.AsyncClient, settings: Settings, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    header, _, signature = _sign(settings, _claims(settings, tenant_a)).split(".")
    forged = _b64(_claims(settings, tenant_a, tid=str(tenant_b.tenant.id)))
    assert_problem(await _me(client, f"{header}.{forged}.{signature}"), 401)


async def test_deactivated_user_token_is_401(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    token = tenant_a.tokens[Role.analyst]
    assert (await _me(client, token)).status_code == 200
    r = await client.patch(
        f"/api/v1/tenant/users/{tenant_a.users[Role.analyst].id}",
        json={"is_active": False},
        headers=tenant_a.headers(Role.owner),
    )
    assert r.status_code == 200, r.text
    assert_problem(await _me(client, token), 401)


async def test_user_changed_elsewhere_is_rechecked_after_the_interval(
    app: Any, client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    """A change made outside this worker (another worker, the CLI, SQL) is seen within
    AUTH_RECHECK_SECONDS; with 0, on the next request."""
    token = tenant_a.tokens[Role.analyst]
    user = tenant_a.users[Role.analyst]
    settings = app.state.settings
    original = settings.auth_recheck_seconds
    settings.auth_recheck_seconds = 0.3
    try:
        assert (await _me(client, token)).status_code == 200  # now trusted for 0.3 s
        user.is_active = False
        await session.flush()
        assert (await _me(client, token)).status_code == 200  # the worker has not asked yet
        await asyncio.sleep(0.35)
        assert_problem(await _me(client, token), 401)
        user.is_active = True
        await session.flush()
        settings.auth_recheck_seconds = 0
        assert (await _me(client, token)).status_code == 200
        user.is_active = False
        await session.flush()
        assert_problem(await _me(client, token), 401)  # no interval: asked every time
    finally:
        settings.auth_recheck_seconds = original


async def test_role_change_applies_at_once_in_the_worker_that_made_it(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    token = tenant_a.tokens[Role.analyst]
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        await client.post("/api/v1/clients", json={"name": "A"}, headers=headers)
    ).status_code == 201
    r = await client.patch(
        f"/api/v1/tenant/users/{tenant_a.users[Role.analyst].id}",
        json={"role": "viewer"},
        headers=tenant_a.headers(Role.owner),
    )
    assert r.status_code == 200, r.text
    assert_problem(await client.post("/api/v1/clients", json={"name": "B"}, headers=headers), 403)


async def test_deactivated_tenant_token_is_401(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    tenant_a.tenant.is_active = False
    await session.flush()
    assert_problem(await _me(client, tenant_a.tokens[Role.owner]), 401)


async def _login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def test_login_refresh_rotation_and_reuse(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    email = tenant_a.users[Role.analyst].email
    r = await _login(client, email.upper())
    assert r.status_code == 200, r.text
    pair = r.json()
    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == 15 * 60
    assert (await _me(client, pair["access_token"])).status_code == 200

    rotated = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert rotated.status_code == 200, rotated.text
    new_pair = rotated.json()
    assert new_pair["refresh_token"] != pair["refresh_token"]

    # The old refresh token comes back: refused, and the whole family is revoked.
    reused = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert_problem(reused, 401)
    after_reuse = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": new_pair["refresh_token"]}
    )
    assert_problem(after_reuse, 401)


async def test_logout_revokes(client: httpx.AsyncClient, tenant_a: TenantWorld) -> None:
    pair = (await _login(client, tenant_a.users[Role.viewer].email)).json()
    r = await client.post("/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 204
    again = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert_problem(again, 401)
    assert_problem(await client.post("/api/v1/auth/logout", json={"refresh_token": "x" * 40}), 401)


async def test_expired_refresh_token_is_401(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    pair = (await _login(client, tenant_a.users[Role.viewer].email)).json()
    await session.execute(
        RefreshToken.__table__.update().values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert_problem(r, 401)


async def test_refresh_refused_after_deactivation(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    pair = (await _login(client, tenant_a.extra_user.email)).json()
    r = await client.delete(
        f"/api/v1/tenant/users/{tenant_a.extra_user.id}", headers=tenant_a.headers(Role.admin)
    )
    assert r.status_code == 204
    refused = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert_problem(refused, 401)
    assert_problem(await _login(client, tenant_a.extra_user.email), 401)


async def test_wrong_password_and_unknown_email_look_alike(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    wrong = assert_problem(await _login(client, tenant_a.users[Role.owner].email, "nope-nope"), 401)
    unknown = assert_problem(await _login(client, "ghost@example.com", "nope-nope"), 401)
    assert wrong["detail"] == unknown["detail"] == "Invalid email or password"


async def test_login_is_rate_limited_per_email_and_address(
    app: Any,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    tenant_a: TenantWorld,
) -> None:
    email = tenant_a.users[Role.owner].email
    for _ in range(settings.login_max_attempts):
        assert (await _login(client, email, "wrong-password")).status_code == 401
    limited = await _login(client, email)  # even the right password is refused for now
    assert_problem(limited, 429)
    assert 1 <= int(limited.headers["retry-after"]) <= settings.login_window_seconds
    other = await _login(client, tenant_a.users[Role.viewer].email)
    assert other.status_code == 200  # another email from the same address still works
    # Whoever guessed from one address has not locked the owner out elsewhere.
    async with _client_at(app, "198.51.100.20") as elsewhere:
        assert (await _login(elsewhere, email)).status_code == 200
    # Once the window has passed, the address may try again.
    passed = datetime.now(UTC) - timedelta(seconds=settings.login_window_seconds + 1)
    await session.execute(LoginThrottle.__table__.update().values(window_start=passed))
    assert (await _login(client, email)).status_code == 200


def _client_at(app: Any, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_login_is_rate_limited_per_address(
    app: Any, session: AsyncSession, settings: Settings, tenant_a: TenantWorld
) -> None:
    """One address guessing across many emails is stopped at the larger per-address
    limit, whatever email it tries next; other addresses are not."""
    original = settings.login_max_attempts_per_address
    settings.login_max_attempts_per_address = 7
    try:
        async with _client_at(app, "198.51.100.30") as guesser:
            for i in range(7):
                r = await _login(guesser, f"someone-{i}@example.com", "wrong-password")
                assert r.status_code == 401
            limited = await _login(guesser, tenant_a.users[Role.viewer].email)
            assert_problem(limited, 429)
            assert int(limited.headers["retry-after"]) >= 1
        async with _client_at(app, "198.51.100.31") as other:
            assert (await _login(other, tenant_a.users[Role.viewer].email)).status_code == 200
    finally:
        settings.login_max_attempts_per_address = original


async def test_successful_login_gives_its_attempt_back(
    client: httpx.AsyncClient, settings: Settings, tenant_a: TenantWorld
) -> None:
    """Only failures use up the limit: a user who logs in often is never throttled."""
    email = tenant_a.users[Role.owner].email
    for _ in range(settings.login_max_attempts + 2):
        assert (await _login(client, email)).status_code == 200
    for _ in range(settings.login_max_attempts):
        assert (await _login(client, email, "wrong-password")).status_code == 401
    assert_problem(await _login(client, email), 429)


async def test_failed_login_is_audited(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    await _login(client, tenant_a.users[Role.owner].email, "wrong-password")
    count = await session.execute(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.tenant_id == tenant_a.tenant.id, AuditEvent.action == "auth.login_failed")
    )
    assert count.scalar_one() == 1


async def test_oauth2_form_token(client: httpx.AsyncClient, tenant_a: TenantWorld) -> None:
    r = await client.post(
        "/api/v1/auth/token",
        data={"username": tenant_a.users[Role.owner].email, "password": PASSWORD},
    )
    assert r.status_code == 200, r.text
    assert (await _me(client, r.json()["access_token"])).status_code == 200
    bad = await client.post("/api/v1/auth/token", data={"username": "nobody", "password": "x"})
    assert_problem(bad, 422)
    missing = await client.post("/api/v1/auth/token", data={})
    assert_problem(missing, 422)


async def test_register_validates_and_conflicts(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    body = {
        "tenant_name": "Nueva",
        "email": tenant_a.users[Role.owner].email,
        "password": "long-enough-pw",
        "full_name": "X",
    }
    assert_problem(await client.post("/api/v1/auth/register", json=body), 409)
    short = {**body, "email": "fresh@example.com", "password": "short"}
    problem = assert_problem(await client.post("/api/v1/auth/register", json=short), 422)
    assert problem["errors"][0]["loc"] == ["body", "password"]
    sneaky = {**body, "email": "fresh@example.com", "tenant_id": str(tenant_a.tenant.id)}
    assert_problem(await client.post("/api/v1/auth/register", json=sneaky), 422)


async def test_bcrypt_hash_is_upgraded_on_login(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    user = tenant_a.users[Role.viewer]
    user.password_hash = pwd_context.handler("bcrypt").hash(PASSWORD)
    await session.flush()
    assert (await _login(client, user.email)).status_code == 200
    stored = await session.execute(select(User.password_hash).where(User.id == user.id))
    assert stored.scalar_one().startswith("$argon2")


async def test_api_key_auth(
    client: httpx.AsyncClient, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    headers = {"X-API-Key": tenant_a.api_key_secret}
    r = await client.get(f"/api/v1/clients/{tenant_a.client.id}", headers=headers)
    assert r.status_code == 200
    r = await client.get(f"/api/v1/clients/{tenant_b.client.id}", headers=headers)
    assert_problem(r, 404)
    assert_problem(
        await client.get("/api/v1/clients", headers={"X-API-Key": tenant_a.api_key_secret + "x"}),
        401,
    )
    assert_problem(await client.get("/api/v1/clients", headers={"X-API-Key": "garbage"}), 401)
    # An analyst key cannot manage keys; an admin revokes it and it stops working.
    assert_problem(await client.get("/api/v1/tenant/api-keys", headers=headers), 403)
    r = await client.delete(
        f"/api/v1/tenant/api-keys/{tenant_a.api_key.id}", headers=tenant_a.headers(Role.admin)
    )
    assert r.status_code == 204
    assert_problem(await client.get("/api/v1/clients", headers=headers), 401)


async def test_api_key_secret_shown_once(client: httpx.AsyncClient, tenant_a: TenantWorld) -> None:
    r = await client.post(
        "/api/v1/tenant/api-keys",
        json={"name": "etl", "role": "viewer"},
        headers=tenant_a.headers(Role.admin),
    )
    assert r.status_code == 201
    secret = r.json()["secret"]
    listed = await client.get("/api/v1/tenant/api-keys", headers=tenant_a.headers(Role.admin))
    assert secret not in listed.text
    assert (await client.get("/api/v1/clients", headers={"X-API-Key": secret})).status_code == 200
    too_high = await client.post(
        "/api/v1/tenant/api-keys",
        json={"name": "x", "role": "owner"},
        headers=tenant_a.headers(Role.admin),
    )
    assert_problem(too_high, 403)


def test_access_token_has_required_claims(settings: Settings) -> None:
    import uuid

    token = create_access_token(settings, user_id=uuid.uuid4(), tenant_id=uuid.uuid4())
    claims = jwt.get_unverified_claims(token)
    assert {"sub", "tid", "iss", "aud", "iat", "exp", "jti", "typ"} <= set(claims)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


PUBLIC_OPERATIONS = {
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/health"),
    ("get", "/ready"),
    # An existing product's chat takes that product's own tokens, not ours (neither of the
    # schemes below): tests/chat/test_chat_api.py.
    ("post", "/api/v1/chat/"),
}


async def test_openapi_declares_both_credentials_on_every_authenticated_operation(
    client: httpx.AsyncClient,
) -> None:
    # The schemes are read inside get_auth_context, not declared as dependencies, so
    # the document gets them from document_security: Swagger's Authorize depends on it.
    schema = (await client.get("/openapi.json")).json()
    assert schema["components"]["securitySchemes"] == {
        "OAuth2PasswordBearer": {
            "type": "oauth2",
            "flows": {"password": {"scopes": {}, "tokenUrl": "/api/v1/auth/token"}},
        },
        "APIKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    }
    either = [{"OAuth2PasswordBearer": []}, {"APIKeyHeader": []}]
    operations = {
        (method, path): op for path, ops in schema["paths"].items() for method, op in ops.items()
    }
    assert {key for key, op in operations.items() if "security" not in op} == PUBLIC_OPERATIONS
    assert all(op["security"] == either for op in operations.values() if "security" in op)
    # And what the document promises holds: without credentials, a 401.
    for method, path in operations:
        if (method, path) not in PUBLIC_OPERATIONS and method == "get" and "{" not in path:
            assert_problem(await client.get(path), 401)
