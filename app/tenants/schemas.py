from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.core.enums import Language, Role
from app.core.schemas import (
    Email,
    Name,
    Password,
    StrictModel,
    Timezone,
    UtcDatetime,
    not_blank,
)


class TenantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    slug: str
    language: Language
    timezone: str
    is_active: bool
    created_at: datetime


class TenantUpdate(StrictModel):
    name: Name | None = None
    language: Language | None = None
    timezone: Timezone | None = Field(default=None, examples=["America/Lima"])


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    is_active: bool
    is_superuser: bool
    last_login_at: datetime | None
    created_at: datetime
    external_id: str | None = Field(
        default=None, description="The user's id in an existing product (POST /api/v1/chat/)."
    )


ExternalId = Annotated[str, not_blank(200)]


class UserCreate(StrictModel):
    email: Email = Field(examples=["ana@agency.example"])
    password: Password = Field(examples=["a-long-passphrase"])
    full_name: Name = Field(examples=["Ana Pérez"])
    role: Role = Role.analyst
    external_id: ExternalId | None = Field(
        default=None,
        examples=["42"],
        description="The user's id in an existing product that issues its own tokens "
        "(unique across Pixely).",
    )


class UserUpdate(StrictModel):
    full_name: Name | None = None
    role: Role | None = None
    is_active: bool | None = None
    external_id: ExternalId | None = Field(
        default=None, description="Set the user's id in an existing product (unique)."
    )


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreate(StrictModel):
    name: Annotated[str, not_blank(120)]
    role: Role = Role.analyst
    expires_at: UtcDatetime | None = None


class ApiKeyCreated(ApiKeyOut):
    secret: str = Field(description="The full key. Shown once: store it now; send it as X-API-Key.")


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime
    actor_user_id: uuid.UUID | None
    actor_api_key_id: uuid.UUID | None
    actor_email: str | None
    action: str
    resource_type: str
    resource_id: str | None
    ip: str | None
    user_agent: str | None
    request_id: str | None
    details: dict[str, object]


class AdminTenantOut(TenantOut):
    users: int
