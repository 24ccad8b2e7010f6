"""The demo agency's agents: a seven-stage onboarding and a customer service assistant,
seeded with the demo tenant, once."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agents.models import Agent
from app.agents.service import get_spec_by_slug
from app.core.config import Settings
from app.core.db import Database
from app.core.enums import AgentTool
from app.core.scope import TenantScope
from app.demo.agents import seed_demo_agents
from app.demo.documents import DEMO_DOCUMENTS
from app.demo.seed import DEMO_EMAIL, DEMO_PASSWORD, seed_demo_tenant
from app.documents.models import Document
from app.tenants.models import User
from tests.factories import TenantWorld


async def _agents(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, str]:
    rows = await session.execute(select(Agent.slug, Agent.kind).where(Agent.tenant_id == tenant_id))
    return {row.slug: row.kind for row in rows}


async def test_the_demo_seed_creates_the_two_agents_once(
    database: Database, session: AsyncSession
) -> None:
    assert await seed_demo_tenant(database, force=True, posts_per_client=20)
    tenant_id = (
        await session.execute(select(User.tenant_id).where(User.email == DEMO_EMAIL))
    ).scalar_one()
    expected = {"onboarding-marca": "staged", "asistente-clientes": "assistant"}
    assert await _agents(session, tenant_id) == expected

    # Seeding again skips the demo and duplicates nothing.
    assert not await seed_demo_tenant(database, force=True, posts_per_client=20)
    assert await _agents(session, tenant_id) == expected

    # A demo seeded before agents existed gets them on the next run.
    await session.execute(delete(Agent).where(Agent.tenant_id == tenant_id))
    assert not await seed_demo_tenant(database, force=True, posts_per_client=20)
    assert await _agents(session, tenant_id) == expected


async def test_the_onboarding_asks_seven_stages_in_spanish(
    session: AsyncSession, tenant_a: TenantWorld
) -> None:
    scope = TenantScope(tenant_a.tenant.id)
    count = select(func.count()).select_from(Agent).where(Agent.tenant_id == tenant_a.tenant.id)
    before = (await session.execute(count)).scalar_one()
    assert await seed_demo_agents(session, tenant_a.tenant.id) == 2
    assert await seed_demo_agents(session, tenant_a.tenant.id) == 0
    assert (await session.execute(count)).scalar_one() == before + 2

    onboarding = await get_spec_by_slug(session, scope, "onboarding-marca")
    assert onboarding.language == "es"
    assert onboarding.prompt_version == 1
    assert [s.position for s in onboarding.stages] == list(range(1, 8))
    assert onboarding.stages[0].name == "Datos de la marca"
    assert set(onboarding.stages[0].output_schema["required"]) == {
        "nombre",
        "sector",
        "pais",
        "sitio_web",
    }
    contact = onboarding.stages[-1].output_schema["properties"]
    assert contact["email"]["format"] == "email"
    assert contact["fecha_inicio"]["format"] == "date"
    for stage in onboarding.stages:
        schema = stage.output_schema
        assert set(schema["required"]) <= set(schema["properties"])
        assert all(p["description"] for p in schema["properties"].values())
        # Every field has a natural question of its own.
        assert set(stage.questions) == set(schema["properties"])
        assert all(q.startswith("¿") or "?" in q for q in stage.questions.values())

    assistant = await get_spec_by_slug(session, scope, "asistente-clientes")
    assert assistant.kind == "assistant"
    assert assistant.stages == ()
    assert set(assistant.tools) == set(AgentTool)  # every figure an analyst may ask for
    assert "español" in assistant.system_prompt


async def test_the_demo_documents_are_seeded_once_and_answered_from_offline(
    app: Any,
    client: httpx.AsyncClient,
    database: Database,
    session: AsyncSession,
    settings: Settings,
) -> None:
    documents = (settings, app.state.embedder)
    assert await seed_demo_tenant(database, force=True, posts_per_client=20, documents=documents)
    tenant_id = (
        await session.execute(select(User.tenant_id).where(User.email == DEMO_EMAIL))
    ).scalar_one()
    stored = select(Document.filename, Document.status).where(Document.tenant_id == tenant_id)
    assert dict((await session.execute(stored)).tuples().all()) == dict.fromkeys(
        DEMO_DOCUMENTS, "ready"
    )
    assert not await seed_demo_tenant(
        database, force=True, posts_per_client=20, documents=documents
    )
    assert len((await session.execute(stored)).all()) == len(DEMO_DOCUMENTS)

    # The demo assistant answers a policy question with the shop's passage, offline.
    login = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    token = (await client.post("/api/v1/auth/login", json=login)).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    agents = (await client.get("/api/v1/agents", headers=headers)).json()["items"]
    assistant = next(a for a in agents if a["slug"] == "asistente-clientes")
    r = await client.post(
        f"/api/v1/agents/{assistant['id']}/chat",
        json={"message": "¿Cuál es la política de devoluciones?"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    turn = r.json()
    assert turn["metadata"]["sources"][0]["filename"] == "vertice-sport-politicas.md"
    assert "dentro de los 30 días desde la entrega" in turn["agent_message"]
