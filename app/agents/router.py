"""/api/v1/agents: agents, their prompt versions and stages."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from app.agents import service
from app.agents.schemas import (
    AgentCreate,
    AgentDetail,
    AgentOut,
    AgentUpdate,
    StageOut,
    VersionOut,
)
from app.agents.service import AgentSort, AgentView, VersionView
from app.core.auth import AnalystDep, ReaderDep
from app.core.enums import AgentKind
from app.core.errors import problem_responses
from app.core.pagination import Page, PageDep
from app.core.routing import API_PREFIX
from app.core.session import SessionDep

router = APIRouter(prefix=f"{API_PREFIX}/agents", tags=["agents"])

READ = problem_responses(401, 404, 422)
WRITE = problem_responses(401, 403, 404, 409, 422)
VersionNumber = Annotated[int, Path(ge=1, le=1_000_000, description="1 = the first version")]


def _version_out(view: VersionView) -> VersionOut:
    return VersionOut(
        version=view.version.version,
        system_prompt=view.version.system_prompt,
        created_by_id=view.version.created_by_id,
        created_at=view.version.created_at,
        stages=[StageOut.model_validate(s) for s in view.stages],
    )


def _detail(view: AgentView) -> AgentDetail:
    return AgentDetail.model_validate(
        {
            **AgentOut.model_validate(view.agent).model_dump(),
            "system_prompt": view.current.version.system_prompt,
            "stages": [StageOut.model_validate(s) for s in view.current.stages],
        }
    )


@router.get(
    "",
    response_model=Page[AgentOut],
    summary="List agents",
    responses=problem_responses(401, 422),
)
async def list_agents(
    session: SessionDep,
    auth: ReaderDep,
    page: PageDep,
    kind: AgentKind | None = None,
    client_id: uuid.UUID | None = None,
    is_active: bool | None = None,
    q: Annotated[str | None, Query(max_length=120, description="Name or slug contains")] = None,
    sort: AgentSort = "name",
) -> Page[AgentOut]:
    agents, total = await service.list_agents(
        session,
        auth.scope,
        limit=page.limit,
        offset=page.offset,
        sort=sort,
        kind=kind,
        client_id=client_id,
        is_active=is_active,
        q=q,
    )
    return Page(
        items=[AgentOut.model_validate(a) for a in agents],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "",
    response_model=AgentDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Create an agent (an assistant, or a staged agent with its stages)",
    responses=WRITE,
)
async def create_agent(data: AgentCreate, session: SessionDep, auth: AnalystDep) -> AgentDetail:
    return _detail(await service.create_agent(session, auth.actor, data))


@router.get(
    "/{agent_id}",
    response_model=AgentDetail,
    summary="One agent, with its current system prompt and stages",
    responses=READ,
)
async def get_agent(agent_id: uuid.UUID, session: SessionDep, auth: ReaderDep) -> AgentDetail:
    return _detail(await service.get_agent(session, auth.scope, agent_id))


@router.patch(
    "/{agent_id}",
    response_model=AgentDetail,
    summary="Update an agent (a new system prompt or stages make a new prompt version)",
    responses=WRITE,
)
async def update_agent(
    agent_id: uuid.UUID, data: AgentUpdate, session: SessionDep, auth: AnalystDep
) -> AgentDetail:
    return _detail(await service.update_agent(session, auth.actor, agent_id, data))


@router.delete(
    "/{agent_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an agent with its prompt versions, conversations and attached documents",
    responses=WRITE,
)
async def delete_agent(agent_id: uuid.UUID, session: SessionDep, auth: AnalystDep) -> Response:
    await service.delete_agent(session, auth.actor, agent_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{agent_id}/versions",
    response_model=Page[VersionOut],
    summary="An agent's prompt versions, newest first, each with its stages",
    responses=READ,
)
async def list_versions(
    agent_id: uuid.UUID, session: SessionDep, auth: ReaderDep, page: PageDep
) -> Page[VersionOut]:
    versions, total = await service.list_versions(
        session, auth.scope, agent_id, limit=page.limit, offset=page.offset
    )
    return Page(
        items=[_version_out(v) for v in versions],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/{agent_id}/versions/{version}",
    response_model=VersionOut,
    summary="One prompt version of an agent, with its stages",
    responses=READ,
)
async def get_version(
    agent_id: uuid.UUID, version: VersionNumber, session: SessionDep, auth: ReaderDep
) -> VersionOut:
    return _version_out(await service.get_version(session, auth.scope, agent_id, version))
