"""Agents: their rules, prompt versions and stages, and what the chat domain reads.

Every change of an agent's system prompt or stages is a new prompt version (with its own
stage rows) and moves `agent.prompt_version` on; a conversation keeps the version it
started on, so no version is ever rewritten. Other fields change in place.

For the chat domain (stable signatures): `get_spec` and `get_spec_by_slug` return an
`AgentSpec`, plain frozen data, never the ORM rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.agents.models import Agent, AgentPromptVersion, AgentStage
from app.agents.repository import AgentRepository, PromptVersionRepository, StageRepository
from app.agents.schemas import AgentUpdate, AssistantCreate, StagedAgentCreate, StageIn
from app.agents.spec import AgentSpec, StageSpec
from app.clients.service import ensure_client
from app.core.enums import AgentKind
from app.core.errors import NotFound, UnprocessableEntity
from app.core.repository import flush_or_conflict, sort_orders
from app.core.scope import Actor, TenantScope
from app.tenants import audit
from app.tenants.service import get_current_tenant

AGENT_NOT_FOUND = "Agent not found"
VERSION_NOT_FOUND = "Prompt version not found"
SLUG_TAKEN = "An agent with this slug already exists"
ASSISTANT_HAS_NO_STAGES = (
    "An assistant has no stages; create an agent of kind 'staged' for one that leads through stages"
)

AgentSort = Literal["name", "-name", "slug", "-slug", "created_at", "-created_at"]
_ORDERS = sort_orders(Agent, AgentSort)
# Fields that PATCH may set to null: null means "the tenant's AI settings" or "no client".
_NULLABLE = frozenset({"engine", "model", "temperature", "client_id"})
# The fields held by a prompt version, not the agent's row: a change makes a new version.
_VERSIONED = frozenset({"system_prompt", "stages"})


@dataclass(frozen=True, slots=True)
class VersionView:
    """A prompt version with its stages, ordered by position."""

    version: AgentPromptVersion
    stages: list[AgentStage]

    @property
    def stored_stages(self) -> list[dict[str, Any]]:
        return [
            {
                "name": s.name,
                "goal": s.goal,
                "prompt": s.prompt,
                "output_schema": s.output_schema,
                "questions": s.questions,
            }
            for s in self.stages
        ]


@dataclass(frozen=True, slots=True)
class AgentView:
    """An agent with its current prompt version."""

    agent: Agent
    current: VersionView


# --- reads -------------------------------------------------------------------------------


async def _agent(session: AsyncSession, scope: TenantScope, agent_id: uuid.UUID) -> Agent:
    agent = await AgentRepository(session, scope).get(agent_id)
    if agent is None:
        raise NotFound(AGENT_NOT_FOUND)
    return agent


async def _version(
    session: AsyncSession, scope: TenantScope, agent_id: uuid.UUID, version: int
) -> VersionView:
    row = await PromptVersionRepository(session, scope).get_version(agent_id, version)
    if row is None:
        raise NotFound(VERSION_NOT_FOUND)
    stages = await StageRepository(session, scope).for_versions([row.id])
    return VersionView(row, stages[row.id])


async def list_agents(
    session: AsyncSession,
    scope: TenantScope,
    *,
    limit: int,
    offset: int,
    sort: AgentSort = "name",
    kind: AgentKind | None = None,
    client_id: uuid.UUID | None = None,
    is_active: bool | None = None,
    q: str | None = None,
) -> tuple[list[Agent], int]:
    return await AgentRepository(session, scope).page(
        limit=limit,
        offset=offset,
        order=_ORDERS[sort],
        kind=kind.value if kind else None,
        client_id=client_id,
        is_active=is_active,
        q=q,
    )


async def get_agent(session: AsyncSession, scope: TenantScope, agent_id: uuid.UUID) -> AgentView:
    agent = await _agent(session, scope, agent_id)
    return AgentView(agent, await _version(session, scope, agent.id, agent.prompt_version))


async def slug_taken(session: AsyncSession, scope: TenantScope, slug: str) -> bool:
    """Whether the tenant has an agent with this slug."""
    return await AgentRepository(session, scope).get_by_slug(slug) is not None


async def list_versions(
    session: AsyncSession, scope: TenantScope, agent_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[VersionView], int]:
    """The agent's prompt versions, newest first, each with its stages."""
    await _agent(session, scope, agent_id)
    versions, total = await PromptVersionRepository(session, scope).page(
        agent_id, limit=limit, offset=offset
    )
    stages = await StageRepository(session, scope).for_versions([v.id for v in versions])
    return [VersionView(v, stages[v.id]) for v in versions], total


async def get_version(
    session: AsyncSession, scope: TenantScope, agent_id: uuid.UUID, version: int
) -> VersionView:
    await _agent(session, scope, agent_id)
    return await _version(session, scope, agent_id, version)


# --- what the chat domain reads ---------------------------------------------------------


def _spec(agent: Agent, version: VersionView) -> AgentSpec:
    return AgentSpec(
        id=agent.id,
        tenant_id=agent.tenant_id,
        name=agent.name,
        slug=agent.slug,
        kind=agent.kind,
        language=agent.language,
        engine=agent.engine,
        model=agent.model,
        temperature=agent.temperature,
        tools=tuple(agent.tools),
        client_id=agent.client_id,
        prompt_version=version.version.version,
        system_prompt=version.version.system_prompt,
        is_active=agent.is_active,
        stages=tuple(
            StageSpec(
                position=s.position,
                name=s.name,
                goal=s.goal,
                prompt=s.prompt,
                output_schema=s.output_schema,
                questions=dict(s.questions),
            )
            for s in version.stages
        ),
    )


async def get_spec(
    session: AsyncSession, scope: TenantScope, agent_id: uuid.UUID, version: int | None = None
) -> AgentSpec:
    """The agent at prompt `version` (None: its current one), stages ordered by position.

    404 ("Agent not found") when the agent is not the tenant's, 404 ("Prompt version not
    found") when it has no such version. An inactive agent is returned too (`is_active`
    is the caller's to check when starting a conversation).
    """
    agent = await _agent(session, scope, agent_id)
    number = agent.prompt_version if version is None else version
    return _spec(agent, await _version(session, scope, agent.id, number))


async def agent_id_by_slug(session: AsyncSession, scope: TenantScope, slug: str) -> uuid.UUID:
    """The id of the tenant's agent with this slug (how an existing product names it);
    404 otherwise."""
    agent = await AgentRepository(session, scope).get_by_slug(slug)
    if agent is None:
        raise NotFound(AGENT_NOT_FOUND)
    return agent.id


async def get_spec_by_slug(session: AsyncSession, scope: TenantScope, slug: str) -> AgentSpec:
    """The tenant's agent with this slug at its current prompt version; 404 otherwise."""
    agent = await AgentRepository(session, scope).get_by_slug(slug)
    if agent is None:
        raise NotFound(AGENT_NOT_FOUND)
    return _spec(agent, await _version(session, scope, agent.id, agent.prompt_version))


# --- writes ------------------------------------------------------------------------------


async def _add_version(
    session: AsyncSession,
    actor: Actor,
    agent: Agent,
    system_prompt: str,
    stages: list[dict[str, Any]],
) -> VersionView:
    """A new prompt version numbered `agent.prompt_version`, with its stage rows."""
    version = PromptVersionRepository(session, actor.scope).add(
        AgentPromptVersion(
            agent_id=agent.id,
            version=agent.prompt_version,
            system_prompt=system_prompt,
            created_by_id=actor.user_id,
        )
    )
    await session.flush()
    repo = StageRepository(session, actor.scope)
    rows = [
        repo.add(AgentStage(version_id=version.id, position=position, **stage))
        for position, stage in enumerate(stages, start=1)
    ]
    await session.flush()
    audit.record(
        session,
        actor,
        "agent.version",
        "agent",
        agent.id,
        {"version": version.version, "stages": len(rows)},
    )
    return VersionView(version, rows)


def _stored(stages: list[StageIn] | None) -> list[dict[str, Any]]:
    return [stage.stored() for stage in stages or ()]


async def create_agent(
    session: AsyncSession, actor: Actor, data: AssistantCreate | StagedAgentCreate
) -> AgentView:
    """A new agent and its prompt version 1; 409 if the slug is taken, 404 if `client_id`
    is not one of the tenant's clients."""
    scope = actor.scope
    if data.client_id is not None:
        await ensure_client(session, scope, data.client_id)
    language = data.language.value if data.language else None
    if language is None:
        language = (await get_current_tenant(session, scope)).language
    agent = AgentRepository(session, scope).add(
        Agent(
            name=data.name,
            slug=data.slug,
            purpose=data.purpose,
            kind=data.kind,
            language=language,
            engine=data.engine,
            model=data.model,
            temperature=data.temperature,
            tools=list(data.tools),
            client_id=data.client_id,
            prompt_version=1,
            is_active=data.is_active,
        )
    )
    await flush_or_conflict(session, SLUG_TAKEN)
    audit.record(
        session, actor, "agent.create", "agent", agent.id, {"slug": agent.slug, "kind": agent.kind}
    )
    stages = data.stages if isinstance(data, StagedAgentCreate) else None
    current = await _add_version(session, actor, agent, data.system_prompt, _stored(stages))
    return AgentView(agent, current)


async def update_agent(
    session: AsyncSession, actor: Actor, agent_id: uuid.UUID, data: AgentUpdate
) -> AgentView:
    """Changes the fields sent. A different system prompt or stages make a new prompt
    version (the same ones sent again do not); `stages` on an assistant is a 422."""
    scope = actor.scope
    agent = await AgentRepository(session, scope).get_for_update(agent_id)
    if agent is None:
        raise NotFound(AGENT_NOT_FOUND)
    sent = data.model_fields_set
    if data.stages is not None and agent.kind == AgentKind.assistant:
        raise UnprocessableEntity(
            ASSISTANT_HAS_NO_STAGES,
            errors=[
                {"loc": ["body", "stages"], "msg": ASSISTANT_HAS_NO_STAGES, "type": "value_error"}
            ],
        )
    if data.client_id is not None:
        await ensure_client(session, scope, data.client_id)
    for field in sorted(sent - _VERSIONED):
        value = getattr(data, field)
        if value is None and field not in _NULLABLE:
            continue  # a required column: null leaves it as it is
        if field == "language":
            value = value.value
        elif field == "tools":
            value = list(value)
        setattr(agent, field, value)
    await flush_or_conflict(session, SLUG_TAKEN)

    current = await _version(session, scope, agent.id, agent.prompt_version)
    prompt = data.system_prompt or current.version.system_prompt
    stages = _stored(data.stages) if data.stages is not None else current.stored_stages
    changed = prompt != current.version.system_prompt or stages != current.stored_stages
    audit.record(session, actor, "agent.update", "agent", agent.id, {"fields": sorted(sent)})
    if changed:
        agent.prompt_version += 1
        await session.flush()
        current = await _add_version(session, actor, agent, prompt, stages)
    return AgentView(agent, current)


async def delete_agent(session: AsyncSession, actor: Actor, agent_id: uuid.UUID) -> None:
    """Deletes the agent; its versions, stages, conversations and the documents attached
    to it go with it (the foreign keys cascade)."""
    agent = await _agent(session, actor.scope, agent_id)
    audit.record(session, actor, "agent.delete", "agent", agent.id, {"slug": agent.slug})
    await session.delete(agent)
    await session.flush()
