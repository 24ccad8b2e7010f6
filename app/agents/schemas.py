"""Request and response models of agents, their prompt versions and stages.

The body of a new agent is one of two shapes told apart by `kind`: an assistant (no
stages) or a staged agent (1 to 20 ordered stages). A stage's `output_schema` is a small,
closed subset of JSON Schema, so that what the chat domain fills in and checks is known:
an object whose properties are strings, integers, numbers or booleans, each with a
description (what the agent asks for when a stage has no question of its own). Whatever
the OpenAPI schema can state is stated there; the rules across fields (a required field
must be a property, a question must name one, bounds in order) are checked here and
answered 422 naming the problem.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    WithJsonSchema,
    model_validator,
)
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from app.core.enums import AgentKind, AgentTool, Language
from app.core.schemas import StrictModel, not_blank

# The tools an agent may be allowed to call: a closed list, whose tools the chat domain
# defines (app/chat/tools.py registers one per name, retrieval aside).
AGENT_TOOLS: tuple[str, ...] = tuple(AgentTool)
MAX_STAGES = 20
MAX_FIELDS = 30

# --- names -------------------------------------------------------------------------------

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_SLUG = re.compile(SLUG_PATTERN)


def _slug(value: Any) -> Any:
    if isinstance(value, str) and not (2 <= len(value) <= 64 and _SLUG.match(value)):
        raise PydanticCustomError(
            "slug",
            "A slug is 2 to 64 lowercase letters, digits and hyphens, with no hyphen at "
            "either end nor two in a row (e.g. onboarding-marca)",
        )
    return value


# How an existing product addresses an agent: unique in the tenant.
Slug = Annotated[
    str,
    StringConstraints(min_length=2, max_length=64, pattern=SLUG_PATTERN),
    BeforeValidator(_slug),  # after the constraints here, or the schema loses the pattern
]


def _known_tool(name: str) -> str:
    if name not in AGENT_TOOLS:
        raise PydanticCustomError(
            "tool",
            "Unknown tool {name}; the tools are: {tools}",
            {"name": repr(name), "tools": ", ".join(AGENT_TOOLS)},
        )
    return name


ToolName = Annotated[
    str, AfterValidator(_known_tool), WithJsonSchema({"type": "string", "enum": list(AGENT_TOOLS)})
]

FIELD_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
# A field of a stage's output: a lowercase identifier (`sitio_web`), as the collected data
# and the questions name it.
FieldName = Annotated[str, StringConstraints(max_length=64, pattern=FIELD_NAME_PATTERN)]
Description = Annotated[str, not_blank(500)]
Text = Annotated[str, StringConstraints(max_length=10_000)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]
SystemPrompt = Annotated[str, not_blank(20_000)]

# --- a stage's output schema -----------------------------------------------------------


def _no_duplicates(values: list[Any] | None) -> list[Any] | None:
    if values is not None and len({repr(v) for v in values}) != len(values):
        raise PydanticCustomError("unique", "The list has a value twice")
    return values


def _json_numbers(kind: type) -> Any:
    """A check of a list's items as JSON numbers of `kind` (int: whole numbers, 5.0 too, as
    JSON Schema counts them); Pydantic alone would read "5" or true as numbers."""

    def check(values: Any) -> Any:
        if not isinstance(values, list):
            return values
        for value in values:
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if not number or (kind is int and float(value) != int(value)):
                noun = "an integer" if kind is int else "a number"
                raise PydanticCustomError("enum_type", f"Each enum value should be {noun}")
        return [int(v) for v in values] if kind is int else values

    return BeforeValidator(check)


Unique = AfterValidator(_no_duplicates)
UNIQUE: JsonDict = {"uniqueItems": True}


class _Field(StrictModel):
    description: Description = Field(
        description="What the field is; asked for when the stage has no question for it",
        examples=["Nombre comercial de la marca"],
    )


class StringField(_Field):
    type: Literal["string"]
    format: Literal["email", "date", "uri"] | None = Field(
        default=None, description="email, date (YYYY-MM-DD) or uri"
    )
    enum: Annotated[list[Annotated[str, not_blank(200)]], Unique] | None = Field(
        default=None, min_length=1, max_length=50, json_schema_extra=UNIQUE
    )
    minLength: int | None = Field(default=None, ge=0, le=10_000)
    maxLength: int | None = Field(default=None, ge=1, le=10_000)
    pattern: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = Field(
        default=None, description="A regular expression the value must match"
    )

    @model_validator(mode="after")
    def _consistent(self) -> StringField:
        lengths = self.minLength, self.maxLength
        if lengths[0] is not None and lengths[1] is not None and lengths[0] > lengths[1]:
            raise PydanticCustomError("bounds", "minLength is greater than maxLength")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise PydanticCustomError(
                    "pattern",
                    "pattern is not a valid regular expression: {reason}",
                    {"reason": str(exc)},
                ) from None
        return self


class IntegerField(_Field):
    type: Literal["integer"]
    enum: Annotated[list[int], _json_numbers(int), Unique] | None = Field(
        default=None, min_length=1, max_length=50, json_schema_extra=UNIQUE
    )
    minimum: int | None = Field(default=None, ge=-(10**15), le=10**15)
    maximum: int | None = Field(default=None, ge=-(10**15), le=10**15)

    @model_validator(mode="after")
    def _consistent(self) -> IntegerField:
        _bounds_in_order(self.minimum, self.maximum)
        return self


class NumberField(_Field):
    type: Literal["number"]
    enum: Annotated[list[float], _json_numbers(float), Unique] | None = Field(
        default=None, min_length=1, max_length=50, json_schema_extra=UNIQUE
    )
    minimum: float | None = Field(default=None, ge=-1e15, le=1e15)
    maximum: float | None = Field(default=None, ge=-1e15, le=1e15)

    @model_validator(mode="after")
    def _consistent(self) -> NumberField:
        _bounds_in_order(self.minimum, self.maximum)
        return self


class BooleanField(_Field):
    type: Literal["boolean"]


def _bounds_in_order(minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and maximum is not None and minimum > maximum:
        raise PydanticCustomError("bounds", "minimum is greater than maximum")


def _tag(key: str, tags: tuple[str, ...]) -> Any:
    """The union member a body names by `key`, read before validation: a callable, since
    StrictModel's type check of every field rules out Pydantic's field discriminator."""

    def tag(value: Any) -> Any:
        if isinstance(value, dict):
            return value.get(key)
        return getattr(value, key, None)

    return Discriminator(
        tag,
        custom_error_type=f"{key}_invalid",
        custom_error_message=f"{key} should be one of: {', '.join(tags)}",
    )


FieldSchema = Annotated[
    Annotated[StringField, Tag("string")]
    | Annotated[IntegerField, Tag("integer")]
    | Annotated[NumberField, Tag("number")]
    | Annotated[BooleanField, Tag("boolean")],
    _tag("type", ("string", "integer", "number", "boolean")),
]

_OUTPUT_SCHEMA_EXAMPLE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "nombre": {"type": "string", "description": "Nombre comercial de la marca"},
        "sitio_web": {"type": "string", "format": "uri", "description": "Sitio web"},
    },
    "required": ["nombre"],
}


class OutputSchema(StrictModel):
    """What a stage must find out, as a JSON schema object: the stage is complete when
    every required field is present and valid."""

    model_config = ConfigDict(json_schema_extra={"examples": [_OUTPUT_SCHEMA_EXAMPLE]})

    type: Literal["object"]
    properties: dict[FieldName, FieldSchema] = Field(
        min_length=1,
        max_length=MAX_FIELDS,
        json_schema_extra={"additionalProperties": False},
    )
    required: Annotated[list[FieldName], Unique] = Field(
        min_length=1,
        max_length=MAX_FIELDS,
        description="The fields the stage needs (each one of the properties)",
        json_schema_extra=UNIQUE,
    )

    @model_validator(mode="after")
    def _required_are_properties(self) -> OutputSchema:
        missing = [name for name in self.required if name not in self.properties]
        if missing:
            raise PydanticCustomError(
                "required_not_a_property",
                "required names {missing}, not among the properties",
                {"missing": ", ".join(missing)},
            )
        return self

    def stored(self) -> dict[str, Any]:
        """The schema as stored and given to the chat domain (no null keywords)."""
        return self.model_dump(exclude_none=True)


class StageIn(StrictModel):
    """One stage of a staged agent: what it must find out and how it speaks meanwhile."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Datos de la marca",
                    "goal": "Conocer la marca: nombre y sitio web",
                    "prompt": "Pregunte con amabilidad, un dato a la vez.",
                    "output_schema": _OUTPUT_SCHEMA_EXAMPLE,
                    "questions": {"nombre": "¿Cómo se llama su marca?"},
                }
            ]
        }
    )

    name: Annotated[str, not_blank(120)]
    goal: Text = ""
    prompt: Text = Field(default="", description="How the agent speaks during this stage")
    output_schema: OutputSchema
    questions: dict[FieldName, Annotated[str, not_blank(500)]] = Field(
        default_factory=dict,
        max_length=MAX_FIELDS,
        description="field -> the question that asks for it (else its description is used)",
        json_schema_extra={"additionalProperties": False},
    )

    @model_validator(mode="after")
    def _questions_name_properties(self) -> StageIn:
        unknown = [name for name in self.questions if name not in self.output_schema.properties]
        if unknown:
            raise PydanticCustomError(
                "question_not_a_property",
                "questions names {unknown}, not among the output_schema's properties",
                {"unknown": ", ".join(unknown)},
            )
        return self

    def stored(self) -> dict[str, Any]:
        """The stage as its row holds it (position aside): compared to tell a change."""
        return {
            "name": self.name,
            "goal": self.goal,
            "prompt": self.prompt,
            "output_schema": self.output_schema.stored(),
            "questions": dict(self.questions),
        }


def _distinct_stage_names(stages: list[StageIn] | None) -> list[StageIn] | None:
    if stages is None:
        return None
    seen: set[str] = set()
    for stage in stages:
        if stage.name.casefold() in seen:
            raise PydanticCustomError(
                "stage_name", "Two stages are named {name}", {"name": repr(stage.name)}
            )
        seen.add(stage.name.casefold())
    return stages


Stages = Annotated[
    list[StageIn],
    AfterValidator(_distinct_stage_names),
    Field(min_length=1, max_length=MAX_STAGES, description="In order: the first is stage 1"),
]

# --- agents ------------------------------------------------------------------------------

Engine = Literal["local", "openai"]
ModelName = Annotated[str, not_blank(120)]
Temperature = Annotated[float, Field(ge=0, le=2)]
Tools = Annotated[
    list[ToolName], Unique, Field(max_length=len(AGENT_TOOLS), json_schema_extra=UNIQUE)
]


class _AgentFields(StrictModel):
    name: Annotated[str, not_blank(120)] = Field(examples=["Onboarding de marca"])
    slug: Slug = Field(examples=["onboarding-marca"])
    purpose: LongText = Field(default="", description="What the agent is for, in a sentence")
    language: Language | None = Field(default=None, description="Default: the tenant's")
    engine: Engine | None = Field(default=None, description="null: the tenant's AI settings")
    model: ModelName | None = Field(default=None, description="null: the tenant's AI settings")
    temperature: Temperature | None = None
    tools: Tools = Field(
        default_factory=list,
        description="The tools the agent may call: " + ", ".join(AGENT_TOOLS),
        examples=[["count_posts", "engagement"]],
    )
    client_id: uuid.UUID | None = Field(
        default=None, description="The client (brand) the agent is about, if one"
    )
    is_active: bool = True
    system_prompt: SystemPrompt = Field(examples=["Usted es el asistente de la agencia."])


class AssistantCreate(_AgentFields):
    """An assistant: answers from the tenant's data and documents; no stages."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Asistente de clientes",
                    "slug": "asistente-clientes",
                    "kind": "assistant",
                    "purpose": "Responde a los clientes sobre sus resultados",
                    "tools": ["count_posts", "engagement", "latest_results"],
                    "system_prompt": "Usted es el asistente de la agencia. Responda con "
                    "datos y diga cuándo no los tiene.",
                }
            ]
        }
    )

    kind: Literal["assistant"]

    @model_validator(mode="before")
    @classmethod
    def _no_stages(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("stages"):
            raise PydanticCustomError(
                "assistant_stages",
                "An assistant has no stages; use kind 'staged' for an agent that leads "
                "through stages",
            )
        return data


class StagedAgentCreate(_AgentFields):
    """A staged agent: leads a conversation through its stages in order."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Onboarding de marca",
                    "slug": "onboarding-marca",
                    "kind": "staged",
                    "system_prompt": "Usted da la bienvenida a una marca nueva.",
                    "stages": [
                        {
                            "name": "Datos de la marca",
                            "goal": "Conocer la marca",
                            "output_schema": _OUTPUT_SCHEMA_EXAMPLE,
                            "questions": {"nombre": "¿Cómo se llama su marca?"},
                        }
                    ],
                }
            ]
        }
    )

    kind: Literal["staged"]
    stages: Stages


AgentCreate = Annotated[
    Annotated[AssistantCreate, Tag("assistant")] | Annotated[StagedAgentCreate, Tag("staged")],
    _tag("kind", tuple(AgentKind)),
]


class AgentUpdate(StrictModel):
    """Fields to change. A new `system_prompt` or `stages` (a staged agent's) makes a new
    prompt version; nothing else does. `kind` is fixed once created. null leaves a
    required field as it is, and clears `engine`, `model`, `temperature` or `client_id`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"system_prompt": "Usted es el asistente de la agencia.", "tools": []}]
        }
    )

    name: Annotated[str, not_blank(120)] | None = None
    slug: Slug | None = None
    purpose: LongText | None = None
    language: Language | None = None
    engine: Engine | None = None
    model: ModelName | None = None
    temperature: Temperature | None = None
    tools: Tools | None = None
    client_id: uuid.UUID | None = None
    is_active: bool | None = None
    system_prompt: SystemPrompt | None = None
    stages: Stages | None = Field(
        default=None, description="A staged agent's stages, all of them, in order"
    )


# --- responses ---------------------------------------------------------------------------


class StageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int = Field(description="1 = the first stage")
    name: str
    goal: str
    prompt: str
    output_schema: dict[str, Any] = Field(examples=[_OUTPUT_SCHEMA_EXAMPLE])
    questions: dict[str, str]


class VersionOut(BaseModel):
    """One version of an agent's instructions."""

    model_config = ConfigDict(from_attributes=True)

    version: int
    system_prompt: str
    created_by_id: uuid.UUID | None
    created_at: datetime
    stages: list[StageOut] = Field(description="Ordered by position; none for an assistant")


class AgentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    slug: str
    purpose: str
    kind: AgentKind
    language: Language
    engine: Engine | None
    model: str | None
    temperature: float | None
    tools: list[str]
    client_id: uuid.UUID | None
    prompt_version: int = Field(description="The current prompt version")
    is_active: bool
    created_at: datetime
    updated_at: datetime


class AgentDetail(AgentOut):
    """An agent with its current prompt version's system prompt and stages."""

    system_prompt: str
    stages: list[StageOut]
