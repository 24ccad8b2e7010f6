"""Stored, versioned, per-tenant overridable prompts of the `openai` analysis engine."""

from app.ai.prompts.store import (
    LANGUAGE_NAMES,
    PLACEHOLDERS,
    Prompt,
    PromptSet,
    default_prompts,
    language_name,
    resolve_prompts,
)

__all__ = [
    "LANGUAGE_NAMES",
    "PLACEHOLDERS",
    "Prompt",
    "PromptSet",
    "default_prompts",
    "language_name",
    "resolve_prompts",
]
