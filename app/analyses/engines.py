"""The two analysis engines behind one Protocol, and choosing one for a tenant and a request.

- `LocalEngine` (default, offline, deterministic): the question's `local.compute` on the
  window, in a worker thread. Its texts are templates filled with figures, never
  presented as a model's output.
- `OpenAIEngine` (any OpenAI-compatible endpoint): the question's stored prompt with the
  payload built from the same window (`app.analyses.payload`), structured output with
  the question's result model as JSON schema, one repair attempt (`app.ai.llm`).

Engines never touch the database; the service stores what they return.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from pydantic import BaseModel, ValidationError

from app.ai.llm import (
    EndpointRefused,
    LLMDeadlineError,
    LLMError,
    StructuredClient,
    Usage,
    check_endpoint,
    make_client,
)
from app.ai.prompts import PromptSet
from app.analyses import payload
from app.analyses.prompts import resolve_prompts
from app.analyses.question import Previous, Question
from app.analyses.registry import KEYS
from app.analyses.window import Window
from app.core.config import Settings
from app.core.errors import UnprocessableEntity

LOCAL_MODEL = "local-1"
LOCAL_PROMPT_VERSION = "local"
PROMPT_VERSION_HEADER = "X-Pixely-Prompt-Version"
QUESTION_HEADER = "X-Pixely-Question"


@dataclass(frozen=True, slots=True)
class EngineResult:
    result: BaseModel  # an instance of the question's result model, validated
    model: str  # "local-1" for the local engine, the model name for openai
    prompt_version: str  # "local" for the local engine
    usage: Usage = field(default_factory=Usage)


class AnalysisEngineError(Exception):
    """The engine could not produce a valid result (a clear message for the run's error);
    `usage` is what the attempt cost; `deadline_exceeded` when it ran out of time."""

    def __init__(
        self,
        message: str,
        *,
        usage: Usage | None = None,
        model: str | None = None,
        deadline_exceeded: bool = False,
    ) -> None:
        super().__init__(message)
        self.usage = usage or Usage()
        self.model = model
        self.deadline_exceeded = deadline_exceeded


class AnalysisEngine(Protocol):
    name: str

    async def run(
        self, question: Question[Any], window: Window, previous: Previous
    ) -> EngineResult:
        """Answer one question on a window; raise AnalysisEngineError on failure."""
        ...


class LocalEngine:
    """Offline, deterministic engine: statistics and lexicons, no model calls."""

    name = "local"

    async def run(
        self, question: Question[Any], window: Window, previous: Previous
    ) -> EngineResult:
        result = await asyncio.to_thread(question.local, window, previous)
        if not isinstance(result, question.result):
            try:
                result = question.result.model_validate(result.model_dump())
            except ValidationError as exc:
                raise AnalysisEngineError(
                    f"The local result of {question.key} does not fit "
                    f"{question.result.__name__}: {exc}"
                ) from exc
        return EngineResult(result=result, model=LOCAL_MODEL, prompt_version=LOCAL_PROMPT_VERSION)


class OpenAIEngine:
    """`AnalysisEngine` over an OpenAI-compatible chat-completions endpoint."""

    name = "openai"

    def __init__(
        self,
        *,
        client: StructuredClient,
        prompts: PromptSet,
        max_posts: int = 200,
        deadline: float | None = None,
    ) -> None:
        if max_posts < 0:
            raise ValueError("max_posts must be >= 0")
        self._client = client
        self._prompts = prompts
        self._max_posts = max_posts
        self._deadline = deadline  # seconds for one question's whole exchange

    @property
    def model(self) -> str:
        return self._client.model

    async def run(
        self, question: Question[Any], window: Window, previous: Previous
    ) -> EngineResult:
        prompt = self._prompts.get(question.key)
        if prompt is None:
            raise AnalysisEngineError(f"No prompt for {question.key} in the prompt set")
        body = payload.build(question, window, previous, max_posts=self._max_posts)
        try:
            system, user = prompt.render(payload=payload.to_json(body), language=window.lang)
        except ValueError as exc:
            raise AnalysisEngineError(str(exc)) from exc
        try:
            answer = await self._client.ask(
                system=system,
                user=user,
                schema=question.result,
                name=question.key,
                language=window.lang,
                headers={PROMPT_VERSION_HEADER: prompt.version, QUESTION_HEADER: question.key},
                deadline=self._deadline,
            )
        except LLMError as exc:
            raise AnalysisEngineError(
                str(exc),
                usage=exc.usage,
                model=exc.model,
                deadline_exceeded=isinstance(exc, LLMDeadlineError),
            ) from exc
        return EngineResult(
            result=answer.result,
            model=answer.model,
            prompt_version=prompt.version,
            usage=answer.usage,
        )


# --------------------------------------------------------------------------- choosing


@dataclass(frozen=True)
class EngineChoice:
    engine: AnalysisEngine
    name: str
    model: str
    prompt_versions: dict[str, str]  # per question key (the local engine: "local")


async def ensure_allowed_endpoint(settings: Settings, tenant_ai: dict[str, Any]) -> None:
    """422 unless the tenant's own endpoint (if any) is one the server may call: its
    host must resolve to public addresses, or be in AI_ENDPOINT_ALLOWED_HOSTS. The
    server's own OPENAI_BASE_URL is the operator's choice and is not checked."""
    base_url = tenant_ai.get("base_url")
    if not base_url:
        return
    allowed = {h.lower() for h in settings.ai_endpoint_allowed_hosts}
    try:
        await check_endpoint(base_url, allowed)
    except EndpointRefused as exc:
        raise UnprocessableEntity(
            f"The AI endpoint is not allowed: {exc}",
            errors=[{"loc": ["body", "base_url"], "msg": str(exc), "type": "value_error"}],
        ) from None


def openai_api_key(settings: Settings, tenant_ai: dict[str, Any]) -> str:
    """The key an OpenAI-compatible call uses: the tenant's, else the server's; 422 when
    neither is set (analyses and chat alike)."""
    api_key = tenant_ai.get("api_key") or (
        settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    )
    if not api_key:
        raise UnprocessableEntity(
            "The openai engine is not configured: set OPENAI_API_KEY on the server or the "
            "tenant's AI settings (PUT /api/v1/tenant/ai-settings)"
        )
    return str(api_key)


def choose_engine(
    settings: Settings,
    tenant_ai: dict[str, Any],
    requested: str | None,
    model: str | None,
    http_client: httpx.AsyncClient | None,
) -> EngineChoice:
    """The engine a run uses: the request's, else the tenant's, else the server's."""
    name = requested or tenant_ai.get("engine") or settings.analysis_engine
    if name == "local":
        return EngineChoice(
            LocalEngine(), "local", LOCAL_MODEL, dict.fromkeys(KEYS, LOCAL_PROMPT_VERSION)
        )
    if name != "openai":
        raise UnprocessableEntity(f"Unknown engine {name!r}; use 'local' or 'openai'")
    api_key = openai_api_key(settings, tenant_ai)
    try:
        prompts = resolve_prompts(tenant_ai.get("prompt_overrides") or None)
    except ValueError as exc:
        raise UnprocessableEntity(f"The tenant's prompt overrides are invalid: {exc}")
    client = make_client(
        base_url=tenant_ai.get("base_url") or settings.openai_base_url,
        api_key=api_key,
        timeout=settings.openai_timeout_seconds,
        max_retries=settings.openai_max_retries,
        http_client=http_client,
    )
    chosen_model = model or tenant_ai.get("model") or settings.openai_model
    return EngineChoice(
        OpenAIEngine(
            client=StructuredClient(client=client, model=chosen_model),
            prompts=prompts,
            deadline=settings.analysis_run_deadline_seconds,
        ),
        "openai",
        chosen_model,
        prompts.versions(),
    )
