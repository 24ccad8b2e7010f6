from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.core.enums import Language, Role
from app.core.schemas import Email, Name, Password, StrictModel


class RegisterIn(StrictModel):
    tenant_name: Name = Field(examples=["Agencia Lumen"])
    email: Email = Field(examples=["owner@lumen.example"])
    password: Password = Field(examples=["correct-horse-battery"])
    full_name: Name = Field(examples=["Lucía Ramos"])
    language: Language = Language.es


class LoginIn(StrictModel):
    email: Email = Field(examples=["demo@pixely.dev"])
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)] = Field(
        examples=["pixely-demo"]
    )


class RefreshIn(StrictModel):
    refresh_token: Annotated[str, StringConstraints(min_length=16, max_length=200)]


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")


class MeTenant(BaseModel):
    id: uuid.UUID
    name: str
    slug: str
    language: Language


class MeOut(BaseModel):
    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    is_superuser: bool
    last_login_at: datetime | None
    tenant: MeTenant
