from __future__ import annotations

from typing import Annotated

from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Depends, Form, Request, Response, status

from app.auth import service
from app.auth.schemas import LoginIn, MeOut, RefreshIn, RegisterIn, TokenPair
from app.core.auth import AuthDep, client_ip
from app.core.errors import problem_responses
from app.core.routing import API_PREFIX
from app.core.schemas import Email
from app.core.session import DatabaseDep, HasherDep, SessionDep, SettingsDep

router = APIRouter(prefix=f"{API_PREFIX}/auth", tags=["auth"])


async def _info(request: Request) -> service.ClientInfo:
    return service.ClientInfo(
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        request_id=correlation_id.get(),
    )


InfoDep = Annotated[service.ClientInfo, Depends(_info)]


class TokenForm:
    """OAuth2's password form (the fields of FastAPI's OAuth2PasswordRequestForm), with
    login's rules in the schema: the username is the user's email, the password 1 to 128
    characters, as `LoginIn` takes them."""

    def __init__(
        self,
        username: Annotated[Email, Form(description="The user's email")],
        password: Annotated[
            str, Form(min_length=1, max_length=128, json_schema_extra={"format": "password"})
        ],
        grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form(json_schema_extra={"format": "password"})] = None,
    ) -> None:
        self.username = username
        self.password = password


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenPair,
    summary="Create an agency (tenant) and its owner",
    responses=problem_responses(409, 422),
)
async def register(
    data: RegisterIn, db: DatabaseDep, settings: SettingsDep, hasher: HasherDep, info: InfoDep
) -> TokenPair:
    return await service.register(db, settings, hasher, data, info)


@router.post(
    "/login",
    response_model=TokenPair,
    summary="Log in with email and password",
    responses=problem_responses(401, 422, 429),
)
async def login(
    data: LoginIn, db: DatabaseDep, settings: SettingsDep, hasher: HasherDep, info: InfoDep
) -> TokenPair:
    return await service.login(db, settings, hasher, data.email, data.password, info)


@router.post(
    "/token",
    response_model=TokenPair,
    summary="OAuth2 password flow (used by Swagger's Authorize button)",
    responses=problem_responses(401, 422, 429),
)
async def token(
    form: Annotated[TokenForm, Depends()],
    db: DatabaseDep,
    settings: SettingsDep,
    hasher: HasherDep,
    info: InfoDep,
) -> TokenPair:
    return await service.login(db, settings, hasher, form.username, form.password, info)


@router.post(
    "/refresh",
    response_model=TokenPair,
    summary="Exchange a refresh token for a new pair (the old one stops working)",
    responses=problem_responses(401, 422),
)
async def refresh(
    data: RefreshIn, db: DatabaseDep, settings: SettingsDep, info: InfoDep
) -> TokenPair:
    return await service.refresh(db, settings, data.refresh_token, info)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a refresh token and every token rotated from the same login",
    responses=problem_responses(401, 422),
)
async def logout(data: RefreshIn, db: DatabaseDep, info: InfoDep) -> Response:
    await service.logout(db, data.refresh_token, info)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/me",
    response_model=MeOut,
    summary="The current user, tenant and role",
    responses=problem_responses(401, 403),
)
async def me(session: SessionDep, auth: AuthDep) -> MeOut:
    return await service.me(session, auth)
