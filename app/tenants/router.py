from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.core.auth import AdminDep, ReaderDep, SuperuserDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageDep
from app.core.routing import API_PREFIX
from app.core.schemas import UtcDatetime
from app.core.session import HasherDep, SessionDep
from app.tenants import service
from app.tenants.schemas import (
    AdminTenantOut,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    AuditEventOut,
    TenantOut,
    TenantUpdate,
    UserCreate,
    UserOut,
    UserUpdate,
)

router = APIRouter(prefix=f"{API_PREFIX}/tenant", tags=["tenant"])
admin_router = APIRouter(prefix=f"{API_PREFIX}/admin", tags=["admin"])

READ = problem_responses(401, 404, 422)
WRITE = problem_responses(401, 403, 404, 409, 422)


@router.get("", response_model=TenantOut, summary="The current tenant", responses=READ)
async def get_tenant(session: SessionDep, auth: ReaderDep) -> TenantOut:
    return TenantOut.model_validate(await service.get_current_tenant(session, auth.scope))


@router.patch("", response_model=TenantOut, summary="Update the current tenant", responses=WRITE)
async def update_tenant(data: TenantUpdate, session: SessionDep, auth: AdminDep) -> TenantOut:
    return TenantOut.model_validate(await service.update_tenant(session, auth, data))


@router.get(
    "/users", response_model=Page[UserOut], summary="List the tenant's users", responses=READ
)
async def list_users(session: SessionDep, auth: ReaderDep, page: PageDep) -> Page[UserOut]:
    users, total = await service.list_users(session, auth, limit=page.limit, offset=page.offset)
    return Page(
        items=[UserOut.model_validate(u) for u in users],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/users",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a user with a role",
    responses=WRITE,
)
async def create_user(
    data: UserCreate, session: SessionDep, auth: AdminDep, hasher: HasherDep
) -> UserOut:
    return UserOut.model_validate(await service.create_user(session, auth, hasher, data))


@router.get("/users/{user_id}", response_model=UserOut, summary="One user", responses=READ)
async def get_user(user_id: uuid.UUID, session: SessionDep, auth: ReaderDep) -> UserOut:
    return UserOut.model_validate(await service.get_user(session, auth, user_id))


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    summary="Change a user's name, role or active flag",
    responses=WRITE,
)
async def update_user(
    user_id: uuid.UUID, data: UserUpdate, session: SessionDep, auth: AdminDep
) -> UserOut:
    return UserOut.model_validate(await service.update_user(session, auth, user_id, data))


@router.delete(
    "/users/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Deactivate a user (their tokens stop working)",
    description="The user is not deleted: it stays readable, with `is_active` false, and "
    "`PATCH` with `is_active: true` activates it again.",
    responses=WRITE,
)
async def deactivate_user(user_id: uuid.UUID, session: SessionDep, auth: AdminDep) -> Response:
    await service.deactivate_user(session, auth, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/api-keys",
    response_model=Page[ApiKeyOut],
    summary="List API keys",
    responses=problem_responses(401, 403, 422),
)
async def list_api_keys(
    session: SessionDep,
    auth: AdminDep,
    page: PageDep,
    include_revoked: Annotated[
        bool, Query(description="Also list revoked keys (with `revoked_at`), for the record")
    ] = False,
) -> Page[ApiKeyOut]:
    keys, total = await service.list_api_keys(
        session, auth, limit=page.limit, offset=page.offset, include_revoked=include_revoked
    )
    return Page(
        items=[ApiKeyOut.model_validate(k) for k in keys],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key (the secret is shown once)",
    responses=WRITE,
)
async def create_api_key(data: ApiKeyCreate, session: SessionDep, auth: AdminDep) -> ApiKeyCreated:
    key, secret = await service.create_api_key(session, auth, data)
    return ApiKeyCreated(**ApiKeyOut.model_validate(key).model_dump(), secret=secret)


@router.get(
    "/api-keys/{key_id}",
    response_model=ApiKeyOut,
    summary="One API key (a revoked key is gone: 404)",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_api_key(key_id: uuid.UUID, session: SessionDep, auth: AdminDep) -> ApiKeyOut:
    return ApiKeyOut.model_validate(await service.get_api_key(session, auth, key_id))


@router.delete(
    "/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an API key",
    description="The key stops working for good and is gone from reads (404), a second "
    "DELETE included; `GET /tenant/api-keys?include_revoked=true` still lists it, with "
    "`revoked_at`, as the audit log does.",
    responses=WRITE,
)
async def revoke_api_key(key_id: uuid.UUID, session: SessionDep, auth: AdminDep) -> Response:
    await service.revoke_api_key(session, auth, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/audit-events",
    response_model=Page[AuditEventOut],
    summary="The audit log, newest first",
    responses=problem_responses(401, 403, 422),
)
async def list_audit_events(
    session: SessionDep,
    auth: AdminDep,
    page: PageDep,
    action: Annotated[
        str | None,
        Query(
            max_length=80,
            description="Exact action, or a prefix ending in '.'",
            examples=["client.create", "client."],
        ),
    ] = None,
    resource_type: Annotated[str | None, Query(max_length=40)] = None,
    resource_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_user_id: uuid.UUID | None = None,
    since: UtcDatetime | None = None,
    until: UtcDatetime | None = None,
) -> Page[AuditEventOut]:
    events, total = await service.list_audit_events(
        session,
        auth,
        limit=page.limit,
        offset=page.offset,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        actor_user_id=actor_user_id,
        since=since,
        until=until,
    )
    return Page(
        items=[AuditEventOut.model_validate(e) for e in events],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@admin_router.get(
    "/tenants",
    response_model=Page[AdminTenantOut],
    summary="All tenants (platform superusers)",
    responses=problem_responses(401, 403, 422),
)
async def admin_list_tenants(
    session: SessionDep, auth: SuperuserDep, page: PageDep, active: bool | None = None
) -> Page[AdminTenantOut]:
    rows, total = await service.admin_list_tenants(
        session, limit=page.limit, offset=page.offset, active=active
    )
    items = [AdminTenantOut(**TenantOut.model_validate(t).model_dump(), users=n) for t, n in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@admin_router.post(
    "/tenants/{tenant_id}/deactivate",
    response_model=TenantOut,
    summary="Deactivate a tenant (its users and keys stop working)",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def admin_deactivate_tenant(
    tenant_id: uuid.UUID, session: SessionDep, auth: SuperuserDep
) -> TenantOut:
    return TenantOut.model_validate(await service.admin_deactivate_tenant(session, auth, tenant_id))
