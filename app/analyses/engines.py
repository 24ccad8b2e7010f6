"""Choosing and building the analysis engine for a tenant and a request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from app.ai.base import AnalysisEngine
from app.core.config import Settings
from app.core.errors import UnprocessableEntity

LOCAL_MODEL = "local-1"
LOCAL_PROMPT_VERSION = "local"


@dataclass(frozen=True)
class EngineChoice:
    engine: AnalysisEngine
    name: str
    model: str
    # Prompt version per question (the local engine has none: "local").
    prompt_versions: dict[str, str]


def choose_engine(
    settings: Settings,
    tenant_ai: dict[str, Any],
    requested: str | None,
    model: str | None,
    http_client: httpx.AsyncClient | None,
) -> EngineChoice:
    name = requested or tenant_ai.get("engine") or settings.analysis_engine
    if name == "local":
        from app.ai.local.analysis_engine import LocalEngine

        return EngineChoice(
            LocalEngine(), "local", LOCAL_MODEL, dict.fromkeys(_QUESTIONS, LOCAL_PROMPT_VERSION)
        )
    if name != "openai":
        raise UnprocessableEntity(f"Unknown engine {name!r}; use 'local' or 'openai'")
    api_key = tenant_ai.get("api_key") or (
        settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    )
    if not api_key:
        raise UnprocessableEntity(
            "The openai engine is not configured: set OPENAI_API_KEY on the server or the "
            "tenant's AI settings (PUT /api/v1/tenant/ai-settings)"
        )
    from app.ai.openai_compatible import OpenAIEngine, make_client
    from app.ai.prompts import resolve_prompts

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
    versions = {q: prompts[q].version for q in _QUESTIONS}
    return EngineChoice(
        OpenAIEngine(client=client, model=chosen_model, prompts=prompts),
        "openai",
        chosen_model,
        versions,
    )


_QUESTIONS = ("q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10")
