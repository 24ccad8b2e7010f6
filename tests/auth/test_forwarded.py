"""X-Forwarded-For is believed only from the proxies in FORWARDED_ALLOW_IPS.

The trust is uvicorn's (its ProxyHeadersMiddleware, which also applies
X-Forwarded-Proto): `pixely serve` passes it the options from
`serving.uvicorn_options`. These tests load the app exactly as uvicorn does with those
options and send requests from chosen peer addresses; the address the app then sees is
the one the audit log and the login limit record.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import serving
from app.core.config import Settings
from app.core.enums import Role
from app.tenants.models import AuditEvent
from tests.factories import TenantWorld

SPOOFED = "198.51.100.66"


def _served(app: Any, **settings: Any) -> Any:
    """The app wrapped as `pixely serve` would have uvicorn wrap it."""
    options = serving.uvicorn_options(Settings(_env_file=None, **settings))  # type: ignore[call-arg]
    config = uvicorn.Config(app, **{**options, "factory": False})
    config.load()
    return config.loaded_app


async def _recorded_ip(
    served: Any, session: AsyncSession, world: TenantWorld, peer: str, forwarded: str
) -> str | None:
    """Fail a login from `peer` saying X-Forwarded-For: `forwarded`; the address that
    the audit log recorded for it."""
    user = world.users[Role.viewer]
    agent = f"probe-{uuid.uuid4().hex}"  # finds this attempt's audit line
    transport = httpx.ASGITransport(app=served, client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        r = await client.post(
            "/api/v1/auth/login",
            json={"email": user.email, "password": "wrong-password"},
            headers={"X-Forwarded-For": forwarded, "User-Agent": agent},
        )
    assert r.status_code == 401, r.text
    query = select(AuditEvent.ip).where(
        AuditEvent.actor_user_id == user.id,
        AuditEvent.action == "auth.login_failed",
        AuditEvent.user_agent == agent,
    )
    return (await session.execute(query)).scalar_one()


async def test_by_default_no_peer_is_trusted_not_even_localhost(
    app: Any, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    """Served on 127.0.0.1 with no proxy configured, any local process could otherwise
    claim any address (uvicorn alone trusts 127.0.0.1)."""
    served = _served(app)
    assert await _recorded_ip(served, session, tenant_a, "127.0.0.1", SPOOFED) == "127.0.0.1"
    assert await _recorded_ip(served, session, tenant_a, "203.0.113.9", SPOOFED) == "203.0.113.9"


async def test_forwarded_header_is_used_only_from_a_configured_proxy(
    app: Any, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    served = _served(app, forwarded_allow_ips="10.0.0.5, 192.168.0.0/16")
    # An untrusted peer's header is ignored.
    assert await _recorded_ip(served, session, tenant_a, "203.0.113.9", SPOOFED) == "203.0.113.9"
    assert await _recorded_ip(served, session, tenant_a, "127.0.0.1", SPOOFED) == "127.0.0.1"
    # A configured proxy (an address, or one of a network) names the client.
    assert await _recorded_ip(served, session, tenant_a, "10.0.0.5", SPOOFED) == SPOOFED
    assert await _recorded_ip(served, session, tenant_a, "192.168.4.4", SPOOFED) == SPOOFED
    # What the client itself put in front of the proxy's entry is not believed: the
    # nearest address not of a trusted proxy is the client.
    chain = f"1.2.3.4, {SPOOFED}, 192.168.9.9"
    assert await _recorded_ip(served, session, tenant_a, "10.0.0.5", chain) == SPOOFED


def test_forwarded_allow_ips_must_be_addresses_or_networks() -> None:
    for bad in ("proxy.example.com", "10.0.0.5; 10.0.0.6", "300.1.1.1"):
        with pytest.raises(ValidationError):
            Settings(_env_file=None, forwarded_allow_ips=bad)  # type: ignore[call-arg]
    ok = Settings(_env_file=None, forwarded_allow_ips=" 10.0.0.1 ,fd00::/8")  # type: ignore[call-arg]
    assert ok.forwarded_allow_ips == "10.0.0.1,fd00::/8"
