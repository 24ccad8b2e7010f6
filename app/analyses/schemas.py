from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.core.enums import Platform
from app.core.schemas import StrictModel

MAX_TEXT_CHARS = 200_000
EngineName = Literal["local", "openai"]
RunStatus = Literal["queued", "running", "succeeded", "failed"]
ModelName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class RunRequest(StrictModel):
    """What to analyse: a date window, optional platforms and accounts, and the engine."""

    since: AwareDatetime | None = Field(
        default=None,
        description="Start of the window (published_at >= since). Default: 90 days before `until`.",
        examples=["2026-06-01T00:00:00Z"],
    )
    until: AwareDatetime | None = Field(
        default=None,
        description="End of the window (published_at < until). Default: now.",
        examples=["2026-09-01T00:00:00Z"],
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
    force: bool = Field(
        default=False,
        description="Run again even if the same input, "
        "engine, model and prompt version already have a stored result",
    )

    @model_validator(mode="after")
    def _window(self) -> RunRequest:
        if self.since and self.until and self.since >= self.until:
            raise ValueError("since must be before until")
        return self


class JobRequest(RunRequest):
    questions: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=10,
        description="Question keys or slugs; default all ten",
        examples=[["q1", "q7", "summary"]],
    )

    @model_validator(mode="after")
    def _known_questions(self) -> JobRequest:
        from app.analyses.registry import BY_SLUG, QUESTIONS

        unknown = [
            q
            for q in self.questions or []
            if q.lower() not in QUESTIONS and q.lower() not in BY_SLUG
        ]
        if unknown:
            raise ValueError(f"unknown questions: {', '.join(unknown)}; use q1..q10 or slugs")
        return self


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
        examples=[["Me encanta la nueva app 😍", "Worst service ever, still waiting"]],
    )
    language: Literal["es", "en", "auto"] = "auto"
    engine: Literal["local"] = Field(
        default="local", description="Per-text analysis runs on the local engine"
    )

    @model_validator(mode="after")
    def _total_size(self) -> TextAnalyzeRequest:
        # Bounds the work of one request (about half a second on this hardware).
        total = sum(len(t) for t in self.texts)
        if total > MAX_TEXT_CHARS:
            raise ValueError(
                f"the texts hold {total} characters; at most {MAX_TEXT_CHARS} per request"
            )
        return self


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
