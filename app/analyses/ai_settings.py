"""The tenant's AI settings: which engine and model its analyses and agents use, its
endpoint and API key (stored encrypted, never shown), the embeddings model of its
documents, and its prompt overrides (checked against the
questions' prompts before they are stored)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.analyses.engines import ensure_allowed_endpoint
from app.analyses.prompts import resolve_prompts
from app.analyses.schemas import AiSettingsIn, AiSettingsOut, PromptOverride
from app.core.auth import AuthContext
from app.core.config import Settings
from app.core.crypto import encrypt
from app.core.errors import UnprocessableEntity
from app.tenants import service as tenants_service


async def get(session: AsyncSession, auth: AuthContext) -> AiSettingsOut:
    tenant = await tenants_service.get_current_tenant(session, auth.scope)
    return _out(dict(tenant.ai_settings or {}))


async def update(
    session: AsyncSession, auth: AuthContext, settings: Settings, data: AiSettingsIn
) -> AiSettingsOut:
    await ensure_allowed_endpoint(settings, {"base_url": data.base_url})
    tenant = await tenants_service.get_current_tenant(session, auth.scope)
    stored = dict(tenant.ai_settings or {})
    overrides = {
        k: v.model_dump(exclude_none=True) for k, v in (data.prompt_overrides or {}).items()
    }
    if overrides:
        try:
            resolve_prompts(overrides)
        except ValueError as exc:
            raise UnprocessableEntity(f"Invalid prompt overrides: {exc}")
    stored.update(
        engine=data.engine,
        model=data.model,
        base_url=data.base_url,
        embedding_model=data.embedding_model,
        prompt_overrides=overrides,
    )
    if data.clear_api_key:
        stored.pop("api_key_encrypted", None)
    elif data.api_key:
        stored["api_key_encrypted"] = encrypt(settings, data.api_key)
    details = {
        "engine": data.engine,
        "model": data.model,
        "embedding_model": data.embedding_model,
        "api_key_changed": bool(data.api_key or data.clear_api_key),
        "prompt_overrides": sorted(overrides),
    }
    await tenants_service.save_ai_settings(session, auth, stored, details)
    return _out(stored)


def _out(stored: dict[str, Any]) -> AiSettingsOut:
    return AiSettingsOut(
        engine=stored.get("engine", "local"),
        model=stored.get("model"),
        base_url=stored.get("base_url"),
        api_key_set=bool(stored.get("api_key_encrypted")),
        embedding_model=stored.get("embedding_model"),
        prompt_overrides={
            k: PromptOverride(**v) for k, v in (stored.get("prompt_overrides") or {}).items()
        },
    )
