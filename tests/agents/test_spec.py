"""What the chat domain reads of an agent: `get_spec` at a version or the current one,
`get_spec_by_slug`, stages ordered by position, 404 outside the tenant."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.agents.service import get_spec, get_spec_by_slug
from app.agents.spec import AgentSpec, StageSpec
from app.core.enums import Role
from app.core.errors import NotFound
from app.core.scope import TenantScope
from tests.agents.bodies import OUTPUT_SCHEMA, assistant, stage, staged
from tests.factories import TenantWorld

URL = "/api/v1/agents"


def _scope(w: TenantWorld) -> TenantScope:
    return TenantScope(w.tenant.id)


async def test_the_spec_of_each_version(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    h = tenant_a.headers(Role.analyst)
    body = staged("alta", tools=["search_documents"], client_id=str(tenant_a.client.id))
    created = (await client.post(URL, json=body, headers=h)).json()
    agent_id = uuid.UUID(created["id"])
    three = [stage("Uno", questions={}), stage("Dos"), stage("Tres", questions={})]
    r = await client.patch(
        f"{URL}/{agent_id}", json={"system_prompt": "V2.", "stages": three}, headers=h
    )
    assert r.json()["prompt_version"] == 2

    current = await get_spec(session, _scope(tenant_a), agent_id)
    assert isinstance(current, AgentSpec)
    assert current.id == agent_id
    assert current.tenant_id == tenant_a.tenant.id
    assert (current.slug, current.kind, current.language) == ("alta", "staged", "es")
    assert current.tools == ("search_documents",)
    assert current.client_id == tenant_a.client.id
    assert current.prompt_version == 2
    assert current.system_prompt == "V2."
    assert [(s.position, s.name) for s in current.stages] == [(1, "Uno"), (2, "Dos"), (3, "Tres")]
    assert current.stages[1] == StageSpec(
        position=2,
        name="Dos",
        goal="Conocer la marca",
        prompt="Un dato a la vez.",
        output_schema=OUTPUT_SCHEMA,
        questions={"nombre": "¿Cómo se llama su marca?"},
    )

    first = await get_spec(session, _scope(tenant_a), agent_id, version=1)
    assert first.prompt_version == 1
    assert first.system_prompt == "Usted da la bienvenida."
    assert [s.name for s in first.stages] == ["Datos", "Contacto"]
    assert await get_spec(session, _scope(tenant_a), agent_id, version=2) == current
    assert await get_spec_by_slug(session, _scope(tenant_a), "alta") == current

    with pytest.raises(NotFound, match="Prompt version not found"):
        await get_spec(session, _scope(tenant_a), agent_id, version=3)


async def test_an_assistants_spec_has_no_stages(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    body = assistant("ayuda", engine="openai", model="gpt-4o-mini", temperature=0.2)
    r = await client.post(URL, json=body, headers=tenant_a.headers())
    spec = await get_spec_by_slug(session, _scope(tenant_a), "ayuda")
    assert spec.id == uuid.UUID(r.json()["id"])
    assert spec.stages == ()
    assert (spec.engine, spec.model, spec.temperature) == ("openai", "gpt-4o-mini", 0.2)
    assert spec.tools == ("count_posts", "engagement")


async def test_another_tenants_agent_is_not_found(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    r = await client.post(URL, json=assistant("suyo"), headers=tenant_b.headers())
    theirs = uuid.UUID(r.json()["id"])
    with pytest.raises(NotFound, match="Agent not found"):
        await get_spec(session, _scope(tenant_a), theirs)
    with pytest.raises(NotFound, match="Agent not found"):
        await get_spec_by_slug(session, _scope(tenant_a), "suyo")
    with pytest.raises(NotFound, match="Agent not found"):
        await get_spec(session, _scope(tenant_a), uuid.uuid4())
    assert (await get_spec(session, _scope(tenant_b), theirs)).slug == "suyo"
