from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from app.clients import service
from app.clients.schemas import (
    AccountCreate,
    AccountOut,
    AccountUpdate,
    ClientCreate,
    ClientOut,
    ClientUpdate,
)
from app.core.auth import AnalystDep, ReaderDep
from app.core.enums import Platform
from app.core.errors import problem_responses
from app.core.fastjson import FastJSONResponse
from app.core.pagination import Page, PageDep
from app.core.routing import API_PREFIX
from app.core.session import DatabaseDep, SessionDep

router = APIRouter(prefix=f"{API_PREFIX}/clients", tags=["clients"])

READ = problem_responses(401, 404, 422)
WRITE = problem_responses(401, 403, 404, 409, 422)


@router.get(
    "",
    response_model=Page[ClientOut],
    summary="List clients",
    responses=problem_responses(401, 422),
)
async def list_clients(
    session: SessionDep,
    auth: ReaderDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=200, description="Name contains")] = None,
    industry: Annotated[str | None, Query(max_length=120)] = None,
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    sort: Literal["name", "-name", "created_at", "-created_at"] = "name",
) -> Page[ClientOut]:
    rows, total = await service.list_clients(
        session,
        auth,
        limit=page.limit,
        offset=page.offset,
        q=q,
        industry=industry,
        country=country,
        sort=sort,
    )
    return Page(
        items=[ClientOut.model_validate(r._mapping) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "",
    response_model=ClientOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a client",
    responses=WRITE,
)
async def create_client(data: ClientCreate, session: SessionDep, auth: AnalystDep) -> ClientOut:
    return ClientOut.model_validate(await service.create_client(session, auth, data))


@router.get("/{client_id}", response_model=ClientOut, summary="One client", responses=READ)
async def get_client(client_id: uuid.UUID, db: DatabaseDep, auth: ReaderDep) -> ClientOut:
    async with db.read_connection() as conn:
        row = await service.get_client_row(conn, auth, client_id)
    return FastJSONResponse(dict(row))  # type: ignore[return-value]


@router.patch("/{client_id}", response_model=ClientOut, summary="Update a client", responses=WRITE)
async def update_client(
    client_id: uuid.UUID, data: ClientUpdate, session: SessionDep, auth: AnalystDep
) -> ClientOut:
    return ClientOut.model_validate(await service.update_client(session, auth, client_id, data))


@router.delete(
    "/{client_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a client with its accounts, posts and metrics",
    responses=WRITE,
)
async def delete_client(client_id: uuid.UUID, session: SessionDep, auth: AnalystDep) -> Response:
    await service.delete_client(session, auth, client_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{client_id}/accounts",
    response_model=Page[AccountOut],
    summary="List a client's social accounts",
    responses=READ,
)
async def list_accounts(
    client_id: uuid.UUID,
    session: SessionDep,
    auth: ReaderDep,
    page: PageDep,
    platform: Platform | None = None,
) -> Page[AccountOut]:
    accounts, total = await service.list_accounts(
        session,
        auth,
        client_id,
        limit=page.limit,
        offset=page.offset,
        platform=platform.value if platform else None,
    )
    return Page(
        items=[AccountOut.model_validate(a) for a in accounts],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/{client_id}/accounts",
    response_model=AccountOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a social account",
    responses=WRITE,
)
async def create_account(
    client_id: uuid.UUID, data: AccountCreate, session: SessionDep, auth: AnalystDep
) -> AccountOut:
    return AccountOut.model_validate(await service.create_account(session, auth, client_id, data))


@router.get(
    "/{client_id}/accounts/{account_id}",
    response_model=AccountOut,
    summary="One social account",
    responses=READ,
)
async def get_account(
    client_id: uuid.UUID, account_id: uuid.UUID, session: SessionDep, auth: ReaderDep
) -> AccountOut:
    return AccountOut.model_validate(
        await service.get_account(session, auth, client_id, account_id)
    )


@router.patch(
    "/{client_id}/accounts/{account_id}",
    response_model=AccountOut,
    summary="Update a social account",
    responses=WRITE,
)
async def update_account(
    client_id: uuid.UUID,
    account_id: uuid.UUID,
    data: AccountUpdate,
    session: SessionDep,
    auth: AnalystDep,
) -> AccountOut:
    return AccountOut.model_validate(
        await service.update_account(session, auth, client_id, account_id, data)
    )


@router.delete(
    "/{client_id}/accounts/{account_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a social account with its posts and metrics",
    responses=WRITE,
)
async def delete_account(
    client_id: uuid.UUID, account_id: uuid.UUID, session: SessionDep, auth: AnalystDep
) -> Response:
    await service.delete_account(session, auth, client_id, account_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
