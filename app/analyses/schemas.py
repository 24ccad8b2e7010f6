from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from app.ai.local.topics import MAX_REQUESTED_TOPICS, MIN_TOPICS
from app.ai.prompts import VERSION_PATTERN
from app.analyses.models import AnalysisRun
from app.analyses.registry import BY_KEY, KEY_RANGE, KEYS, NAMES, QUESTIONS, is_known
from app.core.enums import Platform
from app.core.schemas import DateOrDatetime, HttpUrl, StrictModel, is_day, not_blank

MAX_TEXT_CHARS = 200_000
EngineName = Literal["local", "openai"]
RunStatus = Literal["queued", "running", "succeeded", "failed"]
ModelName = Annotated[str, not_blank(200)]


def _known_question(name: str) -> str:
    if not is_known(name):
        raise ValueError(f"unknown question {name!r}; use {KEY_RANGE} or a slug")
    return name


def _question_key(name: str) -> str:
    if name not in BY_KEY:
        raise ValueError(f"unknown question key {name!r}; use {KEY_RANGE}")
    return name


# A question by key (prompt overrides are keyed so).
QuestionKey = Annotated[
    str, AfterValidator(_question_key), WithJsonSchema({"type": "string", "enum": list(KEYS)})
]
# A question by key or slug (`q3`, `topics`): the schema lists them.
QuestionName = Annotated[
    str, AfterValidator(_known_question), WithJsonSchema({"type": "string", "enum": list(NAMES)})
]


class RunRequest(StrictModel):
    """What to analyse: a date window, optional platforms and accounts, and the engine."""

    since: DateOrDatetime | None = Field(
        default=None,
        description="Start of the window (published_at >= since): an RFC 3339 time, or a day "
        "(`2026-06-01`), read in the tenant's time zone as the start of that day. Default: "
        "90 days before `until`.",
        examples=["2026-06-01T00:00:00Z", "2026-06-01"],
    )
    until: DateOrDatetime | None = Field(
        default=None,
        description="End of the window (published_at < until): an RFC 3339 time, or a day "
        "(`2026-08-31`), read in the tenant's time zone as the end of that day (the next "
        "day's midnight, excluded), so `since` and `until` the same day is that whole day. "
        "Default: now.",
        examples=["2026-09-01T00:00:00Z", "2026-08-31"],
    )
    platforms: list[Platform] | None = Field(
        default=None, max_length=6, description="Only posts of these platforms"
    )
    account_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=50, description="Only posts of these accounts"
    )
    engine: EngineName | None = Field(
        default=None,
        description="`local` (offline, default) or `openai` (the tenant's or "
        "the server's OpenAI-compatible endpoint)",
    )
    model: ModelName | None = Field(default=None, description="Model name for `openai`")
    topics: int | None = Field(
        default=None,
        ge=MIN_TOPICS,
        le=MAX_REQUESTED_TOPICS,
        description="How many topics to find (Q3, and the posts' `topics`). Default: chosen "
        "from the window's size (more distinct texts, more topics). Fewer are found when "
        "the posts share too few words.",
        examples=[8],
    )
    force: bool = Field(
        default=False,
        description="Run again even if the same input, "
        "engine, model and prompt version already have a stored result",
    )

    @model_validator(mode="after")
    def _window(self) -> RunRequest:
        # A day and a time are compared once the day is read in the tenant's zone (the
        # service does it, with a 422 naming `since`).
        since, until = self.since, self.until
        if since is None or until is None or is_day(since) != is_day(until):
            return self
        if since > until if is_day(since) else since >= until:
            raise ValueError("since must be before until")
        return self


class JobRequest(RunRequest):
    questions: list[QuestionName] | None = Field(
        default=None,
        min_length=1,
        max_length=len(KEYS),
        description="Question keys or slugs; default all of them",
        examples=[[QUESTIONS[0].key, QUESTIONS[-1].slug]],
    )


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: uuid.UUID
    job_id: uuid.UUID | None
    question: str
    slug: str
    status: RunStatus
    engine: str
    model: str | None
    prompt_version: str | None
    input_fingerprint: str
    params: dict[str, Any]
    result: dict[str, Any] | None = Field(
        description="The question's result (see the Q1..Q10 result schemas)"
    )
    error: str | None
    usage: dict[str, Any]
    posts_analyzed: int
    duration_ms: int | None
    reused_from_id: uuid.UUID | None = Field(
        description="Set when this answer re-uses a stored run with the same input"
    )
    created_at: datetime

    @classmethod
    def of(cls, run: AnalysisRun) -> RunOut:
        return cls(
            id=run.id,
            client_id=run.client_id,
            job_id=run.job_id,
            question=run.question,
            slug=BY_KEY[run.question].slug,
            status=run.status,
            engine=run.engine,
            model=run.model,
            prompt_version=run.prompt_version,
            input_fingerprint=run.input_fingerprint,
            params=run.params,
            result=run.result,
            error=run.error,
            usage=run.usage,
            posts_analyzed=run.posts_analyzed,
            duration_ms=run.duration_ms,
            reused_from_id=run.reused_from_id,
            created_at=run.created_at,
        )


class JobCreated(BaseModel):
    job_id: uuid.UUID
    status: RunStatus


class RunSummary(BaseModel):
    id: uuid.UUID
    question: str
    status: RunStatus
    error: str | None
    duration_ms: int | None


class JobOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    status: RunStatus
    progress: int = Field(ge=0, le=100)
    questions: list[str]
    params: dict[str, Any]
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    runs: list[RunSummary]


class Insights(BaseModel):
    client_id: uuid.UUID
    items: dict[str, RunOut] = Field(description="The latest succeeded run per question key")
    missing: list[str] = Field(description="Questions with no succeeded run yet")


class TextAnalyzeRequest(StrictModel):
    texts: list[Annotated[str, StringConstraints(max_length=5000)]] = Field(
        min_length=1,
        max_length=1000,
        description=f"At most {MAX_TEXT_CHARS:,} characters in all (a size limit, like the "
        "body's: a request holding more is answered 413)",
        examples=[["Me encanta la nueva app 😍", "Worst service ever, still waiting"]],
    )
    language: Literal["es", "en", "auto"] = "auto"
    engine: Literal["local"] = Field(
        default="local", description="Per-text analysis runs on the local engine"
    )


class TextAnalysisOut(BaseModel):
    language: str
    sentiment_label: str
    sentiment_score: float
    emotion_label: str
    emotion_scores: dict[str, float]
    keywords: list[str]


class TextAnalyzeResponse(BaseModel):
    items: list[TextAnalysisOut]
    engine: str


# --- AI settings (the tenant's engine configuration) -----------------------------------


class PromptOverride(StrictModel):
    version: Annotated[str, StringConstraints(pattern=VERSION_PATTERN)] = Field(
        examples=["acme.v2"]
    )
    system: Annotated[str, StringConstraints(min_length=1, max_length=20_000)] | None = None
    user: Annotated[str, StringConstraints(min_length=1, max_length=20_000)] | None = None


class AiSettingsIn(StrictModel):
    engine: Literal["local", "openai"] = "local"
    model: ModelName | None = Field(default=None, examples=["gpt-4o-mini"])
    base_url: HttpUrl | None = Field(
        default=None,
        description="Any OpenAI-compatible endpoint; empty: the server's",
        examples=["https://api.openai.com/v1"],
    )
    api_key: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = Field(
        default=None, description="Write-only; omit to keep the stored key, '' is refused"
    )
    clear_api_key: bool = False
    embedding_model: ModelName | None = Field(
        default=None,
        description="An embeddings model at this endpoint (else the server's) for the "
        "tenant's documents and searches; empty: the server's embedder (EMBEDDING_ENGINE). "
        "Passages embedded by another model are still found by their words; upload them "
        "again to find them by meaning",
        examples=["text-embedding-3-small"],
    )
    prompt_overrides: dict[QuestionKey, PromptOverride] | None = Field(
        default=None,
        description=f"Per question key ({KEY_RANGE}): replace the system and/or "
        "user prompt; each override carries its own version",
    )


class AiSettingsOut(BaseModel):
    engine: Literal["local", "openai"]
    model: str | None
    base_url: str | None
    api_key_set: bool
    embedding_model: str | None = None
    prompt_overrides: dict[str, PromptOverride]
