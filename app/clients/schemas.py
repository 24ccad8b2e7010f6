from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.core.enums import Language, Platform
from app.core.schemas import Name, StrictModel, Stripped, WebUrl, not_blank, stripped

Country = Annotated[
    str,
    Stripped(pattern=stripped("[A-Za-z]{2}")),
    AfterValidator(str.upper),
]
Url = WebUrl
# Another name a brand goes by ("BBVA Continental"), matched like its name.
Alias = Annotated[str, not_blank(200)]


def _strip_at(value: str) -> str:
    return value.lstrip("@")


Handle = Annotated[
    str,
    Stripped(max_length=100, pattern=stripped(r"@?[A-Za-z0-9_.\-]+")),
    AfterValidator(_strip_at),
]


class Competitor(StrictModel):
    """A competitor: its name, and the handles and other names it is found by in posts
    (accent- and case-insensitive, on word boundaries)."""

    name: Name = Field(examples=["BCP"])
    handles: list[Handle] = Field(default_factory=list, max_length=20, examples=[["bcp_peru"]])
    aliases: list[Alias] = Field(
        default_factory=list, max_length=20, examples=[["Banco de Crédito"]]
    )


def _named(value: Competitor | str) -> Competitor:
    return Competitor(name=value) if isinstance(value, str) else value


# A competitor as an object, or by its name alone ("BCP" is {"name": "BCP"}).
CompetitorIn = Annotated[Competitor | Annotated[str, not_blank(200)], AfterValidator(_named)]


class ClientBase(StrictModel):
    industry: Annotated[str, Stripped(max_length=120)] | None = Field(
        default=None, examples=["banking"]
    )
    country: Country | None = Field(default=None, examples=["PE"])
    website: Url | None = Field(default=None, examples=["https://www.bancoandino.pe"])
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    aliases: list[Alias] | None = Field(
        default=None,
        max_length=20,
        description="Other names the brand goes by, found in posts like its name",
        examples=[["Andino", "BancoAndino"]],
    )
    competitors: list[CompetitorIn] | None = Field(
        default=None,
        max_length=50,
        description="Each a name, or an object with the handles and other names it is "
        "found by in posts; returned as objects",
        examples=[["Interbank", {"name": "BCP", "handles": ["bcp_peru"], "aliases": ["ViaBCP"]}]],
    )


class ClientCreate(ClientBase):
    name: Name = Field(examples=["Banco Andino"])
    language: Language = Language.es


class ClientUpdate(ClientBase):
    name: Name | None = None
    language: Language | None = None


class ClientOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    industry: str | None
    country: str | None
    language: Language
    website: str | None
    description: str | None
    aliases: list[str]
    competitors: list[Competitor]
    created_at: datetime
    updated_at: datetime


class AccountCreate(StrictModel):
    platform: Platform
    handle: Handle = Field(examples=["bancoandino"])
    display_name: Annotated[str, Stripped(max_length=200)] | None = None
    url: Url | None = None


class AccountUpdate(StrictModel):
    handle: Handle | None = None
    display_name: Annotated[str, Stripped(max_length=200)] | None = None
    url: Url | None = None


class AccountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: uuid.UUID
    platform: Platform
    handle: str
    display_name: str | None
    url: str | None
    created_at: datetime
