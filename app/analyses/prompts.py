"""The analyses' prompts: each question folder's `prompt.json`, with the shared rules of
app/analyses/questions/rules.json, and a tenant's overrides.

Changing rules.json changes every default prompt: bump every question's `version` with
it, so stored results keep pointing at the text that produced them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from app.ai.prompts import PromptSet, apply_overrides, parse_prompt, rules_text
from app.analyses import questions as _questions_package
from app.analyses.registry import KEYS, QUESTIONS


def _read_json(package: str, name: str) -> dict[str, Any]:
    raw = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError(f"{package}/{name} must hold a JSON object")
    return data


@cache
def shared_rules() -> str:
    return rules_text(
        _read_json(_questions_package.__name__, "rules.json"), origin="questions/rules.json"
    )


@cache
def default_prompts() -> PromptSet:
    """The stored prompt of every question (read once per process)."""
    rules = shared_rules()
    return PromptSet(
        {
            q.key: parse_prompt(
                _read_json(q.package, "prompt.json"),
                key=q.key,
                rules=rules,
                origin=f"{q.package.rsplit('.', 1)[-1]}/prompt.json",
            )
            for q in QUESTIONS
        },
        KEYS,
    )


def resolve_prompts(overrides: Mapping[str, Mapping[str, str]] | None) -> PromptSet:
    """The default prompts with a tenant's overrides applied (ValueError when invalid)."""
    return apply_overrides(default_prompts(), overrides, rules=shared_rules())
