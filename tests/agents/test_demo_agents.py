"""The demo agency's agents: a seven-stage onboarding and a customer service assistant,
seeded with the demo tenant, once."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agents.models import Agent
from app.agents.service import get_spec_by_slug
from app.core.db import Database
from app.core.scope import TenantScope
from app.demo.agents import seed_demo_agents
from app.demo.seed import DEMO_EMAIL, seed_demo_tenant
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
    assert assistant.tools == ("count_posts", "engagement", "latest_results", "search_documents")
    assert "español" in assistant.system_prompt
