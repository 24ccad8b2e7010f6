from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import or_

from app.agents.models import Agent, AgentPromptVersion, AgentStage
from app.core.repository import OrderBy, TenantRepository


class AgentRepository(TenantRepository[Agent]):
    model = Agent

    async def get_for_update(self, agent_id: uuid.UUID) -> Agent | None:
        """The agent, its row locked until the transaction ends: two changes of its
        prompt at once would otherwise both take the same next version number."""
        query = self._scoped().where(Agent.id == agent_id).with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def get_by_slug(self, slug: str) -> Agent | None:
        query = self._scoped().where(Agent.slug == slug)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def page(
        self,
        *,
        limit: int,
        offset: int,
        order: Sequence[OrderBy],
        kind: str | None = None,
        client_id: uuid.UUID | None = None,
        is_active: bool | None = None,
        q: str | None = None,
    ) -> tuple[list[Agent], int]:
        query = self._scoped()
        if kind is not None:
            query = query.where(Agent.kind == kind)
        if client_id is not None:
            query = query.where(Agent.client_id == client_id)
        if is_active is not None:
            query = query.where(Agent.is_active.is_(is_active))
        if q:
            query = query.where(
                or_(
                    Agent.name.icontains(q, autoescape=True),
                    Agent.slug.icontains(q, autoescape=True),
                )
            )
        result, total = await self.paginate(query, order, limit=limit, offset=offset)
        return list(result.scalars()), total


class PromptVersionRepository(TenantRepository[AgentPromptVersion]):
    model = AgentPromptVersion

    async def get_version(self, agent_id: uuid.UUID, version: int) -> AgentPromptVersion | None:
        query = self._scoped().where(
            AgentPromptVersion.agent_id == agent_id, AgentPromptVersion.version == version
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def page(
        self, agent_id: uuid.UUID, *, limit: int, offset: int
    ) -> tuple[list[AgentPromptVersion], int]:
        """The agent's versions, newest first."""
        query = self._scoped().where(AgentPromptVersion.agent_id == agent_id)
        result, total = await self.paginate(
            query, (AgentPromptVersion.version.desc(),), limit=limit, offset=offset
        )
        return list(result.scalars()), total


class StageRepository(TenantRepository[AgentStage]):
    model = AgentStage

    async def for_versions(
        self, version_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[AgentStage]]:
        """The stages of each version, ordered by position (a version without stages,
        an assistant's, maps to an empty list)."""
        found: dict[uuid.UUID, list[AgentStage]] = {v: [] for v in version_ids}
        if not version_ids:
            return found
        query = (
            self._scoped()
            .where(AgentStage.version_id.in_(version_ids))
            .order_by(AgentStage.version_id, AgentStage.position)
        )
        for stage in (await self.session.execute(query)).scalars():
            found[stage.version_id].append(stage)
        return found


__all__ = ["AgentRepository", "PromptVersionRepository", "StageRepository"]
