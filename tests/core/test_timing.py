"""Server-Timing: every response says how long the app took, and for a JSON answer that
covers the whole handling (a chat turn's own latency included)."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.chat.test_chat_api import make_agent
from tests.factories import TenantWorld

TIMING = re.compile(r"^app;dur=(\d+\.\d)$")


async def test_every_response_says_how_long_the_app_took(client: httpx.AsyncClient) -> None:
    for r in (await client.get("/health"), await client.get("/api/v1/clients")):
        found = TIMING.match(r.headers["server-timing"])
        assert found is not None, r.headers["server-timing"]
        assert float(found.group(1)) >= 0
    slow = await client.get("/docs")
    assert TIMING.match(slow.headers["server-timing"])


async def test_a_chat_turns_timing_covers_the_turn(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    agent = await make_agent(session, tenant_a, slug="asistente")
    r = await client.post(
        f"/api/v1/agents/{agent.id}/chat", json={"message": "Hola"}, headers=tenant_a.headers()
    )
    assert r.status_code == 200, r.text
    found = TIMING.match(r.headers["server-timing"])
    assert found is not None
    # latency_ms stops at the engine's answer; the header also covers storing it.
    assert float(found.group(1)) >= r.json()["metadata"]["latency_ms"]
