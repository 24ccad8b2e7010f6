"""Stored, versioned prompts for the `openai` engine.

The prompts are data: one JSON file per question under `data/` (`q1.json` .. `q10.json`)
with `question`, `version`, `system` and `user`, plus `common.json` with the rules every
question shares. A tenant may override the `system` and/or `user` text of any question;
an override carries its own `version`, which is stored with every result it produced.

Placeholders are exact tokens replaced by `Prompt.render` (no `str.format`, so any other
brace in a prompt is literal text):

- `{payload}` (required in `user`): the compact JSON the engine builds from the data;
- `{language}` (required in `system` or `user`): the name of the language every
  human-readable text of the answer must be written in, e.g. "Spanish (español)";
- `{question}` (optional): the question key, e.g. "q3";
- `{rules}` (optional, expanded when the prompts are loaded): the shared rules of
  `common.json`.

Changing `common.json` changes every default prompt: bump every question's `version`
with it, so stored results keep pointing at the text that produced them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from app.ai.base import QUESTION_KEYS

PAYLOAD = "{payload}"
LANGUAGE = "{language}"
QUESTION = "{question}"
RULES = "{rules}"
PLACEHOLDERS = frozenset({PAYLOAD, LANGUAGE, QUESTION, RULES})

LANGUAGE_NAMES: dict[str, str] = {"es": "Spanish (español)", "en": "English"}

_PLACEHOLDER_RE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+-]{0,99}$")
_OVERRIDE_FIELDS = frozenset({"version", "system", "user"})
_MAX_TEXT = 20_000  # characters of one system or user text


@dataclass(frozen=True, slots=True)
class Prompt:
    """The prompt of one question at one version (`{rules}` already expanded)."""

    question: str
    version: str
    system: str
    user: str

    @property
    def digest(self) -> str:
        """Short SHA-256 of the texts: tells two prompts with the same version apart."""
        text = f"{self.system}\x00{self.user}".encode()
        return hashlib.sha256(text).hexdigest()[:16]

    def render(self, *, payload: str, language: str) -> tuple[str, str]:
        """The (system, user) messages for `payload` with text in `language` ("es"/"en")."""
        values = {
            PAYLOAD: payload,
            LANGUAGE: language_name(language),
            QUESTION: self.question,
        }
        return _substitute(self.system, values), _substitute(self.user, values)


class PromptSet(Mapping[str, Prompt]):
    """The prompts to use for every question (`q1`..`q10`), immutable."""

    __slots__ = ("_prompts",)

    def __init__(self, prompts: Mapping[str, Prompt]) -> None:
        missing = [q for q in QUESTION_KEYS if q not in prompts]
        unknown = sorted(set(prompts) - set(QUESTION_KEYS))
        if missing or unknown:
            raise ValueError(
                f"a prompt set needs exactly the questions {', '.join(QUESTION_KEYS)}"
                f" (missing: {missing or 'none'}, unknown: {unknown or 'none'})"
            )
        for key, prompt in prompts.items():
            if prompt.question != key:
                raise ValueError(f"prompt for {key!r} says it is for {prompt.question!r}")
        self._prompts: dict[str, Prompt] = {q: prompts[q] for q in QUESTION_KEYS}

    def __getitem__(self, question: str) -> Prompt:
        return self._prompts[question]

    def __iter__(self) -> Iterator[str]:
        return iter(self._prompts)

    def __len__(self) -> int:
        return len(self._prompts)

    def versions(self) -> dict[str, str]:
        return {q: p.version for q, p in self._prompts.items()}

    def __repr__(self) -> str:
        return f"PromptSet({self.versions()!r})"


def language_name(code: str) -> str:
    """What `{language}` becomes: "Spanish (español)" for "es", "English" for "en"."""
    try:
        return LANGUAGE_NAMES[code]
    except KeyError:
        raise ValueError(
            f"unsupported tenant language {code!r} (expected one of {sorted(LANGUAGE_NAMES)})"
        ) from None


def _substitute(text: str, values: Mapping[str, str]) -> str:
    # One pass, so a value that contains a placeholder-looking token is left alone.
    return _PLACEHOLDER_RE.sub(lambda m: values.get(m.group(0), m.group(0)), text)


def _read_json(name: str) -> dict[str, Any]:
    raw = resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError(f"prompt file {name} must hold a JSON object")
    return data


def _check_prompt(prompt: Prompt, *, origin: str) -> None:
    """Placeholders and version of a complete prompt; ValueError naming `origin`."""
    if not _VERSION_RE.match(prompt.version):
        raise ValueError(
            f"{origin}: version {prompt.version!r} must be 1-100 characters of letters,"
            " digits and . _ : + - (e.g. 'tenant-acme.q3.v2')"
        )
    for field_name, text in (("system", prompt.system), ("user", prompt.user)):
        if not text.strip():
            raise ValueError(f"{origin}: {field_name!r} must not be empty")
        if len(text) > _MAX_TEXT:
            raise ValueError(f"{origin}: {field_name!r} is longer than {_MAX_TEXT} characters")
        unknown = sorted(set(_PLACEHOLDER_RE.findall(text)) - PLACEHOLDERS)
        if unknown:
            raise ValueError(
                f"{origin}: unknown placeholder(s) {', '.join(unknown)} in {field_name!r}"
                f" (allowed: {', '.join(sorted(PLACEHOLDERS))})"
            )
    if PAYLOAD not in prompt.user:
        raise ValueError(f"{origin}: 'user' must contain the {PAYLOAD} placeholder")
    if PAYLOAD in prompt.system:
        raise ValueError(f"{origin}: {PAYLOAD} belongs in 'user', not in 'system'")
    if LANGUAGE not in prompt.system and LANGUAGE not in prompt.user:
        raise ValueError(
            f"{origin}: 'system' or 'user' must contain the {LANGUAGE} placeholder"
            " (the answer's human-readable text must be in the tenant's language)"
        )


@cache
def _common_rules() -> str:
    common = _read_json("common.json")
    rules = common.get("rules")
    if isinstance(rules, list):
        rules = "\n".join(f"- {line}" for line in rules)
    if not isinstance(rules, str) or not rules.strip():
        raise ValueError("common.json must define 'rules' (text or list of lines)")
    return rules


def _expand_rules(text: str) -> str:
    return text.replace(RULES, _common_rules()) if RULES in text else text


@cache
def default_prompts() -> PromptSet:
    """The stored prompts of q1..q10 (read once per process)."""
    prompts: dict[str, Prompt] = {}
    for question in QUESTION_KEYS:
        name = f"{question}.json"
        data = _read_json(name)
        fields = {k: data.get(k) for k in ("question", "version", "system", "user")}
        if not all(isinstance(v, str) for v in fields.values()):
            raise ValueError(f"{name}: question, version, system and user must be strings")
        if fields["question"] != question:
            raise ValueError(f"{name}: 'question' is {fields['question']!r}")
        prompt = Prompt(
            question=question,
            version=str(fields["version"]),
            system=_expand_rules(str(fields["system"])),
            user=_expand_rules(str(fields["user"])),
        )
        _check_prompt(prompt, origin=name)
        prompts[question] = prompt
    return PromptSet(prompts)


def resolve_prompts(overrides: Mapping[str, Mapping[str, str]] | None) -> PromptSet:
    """The default prompts with a tenant's overrides applied.

    `overrides` maps a question key to {"version": ..., "system": ..., "user": ...};
    `version` is required and must differ from the default's, `system` and/or `user`
    replace the default text (the one left out is kept). `{rules}` may be used in an
    override to include the shared rules. Anything invalid raises ValueError.
    """
    defaults = default_prompts()
    if not overrides:
        return defaults
    unknown = sorted(str(q) for q in overrides if q not in defaults)
    if unknown:
        raise ValueError(
            f"prompt overrides for unknown question(s) {', '.join(unknown)}"
            f" (expected keys among {', '.join(QUESTION_KEYS)})"
        )
    prompts = dict(defaults)
    for question, override in overrides.items():
        origin = f"prompt override for {question}"
        if not isinstance(override, Mapping):
            raise ValueError(f"{origin}: must be an object with version, system and/or user")
        extra = sorted(str(k) for k in override if k not in _OVERRIDE_FIELDS)
        if extra:
            raise ValueError(
                f"{origin}: unknown field(s) {', '.join(extra)} (allowed: system, user, version)"
            )
        for key, value in override.items():
            if not isinstance(value, str):
                raise ValueError(f"{origin}: {key!r} must be a string")
        version = override.get("version")
        if not version or not version.strip():
            raise ValueError(
                f"{origin}: a 'version' is required (e.g. 'tenant-acme.{question}.v2')"
            )
        if "system" not in override and "user" not in override:
            raise ValueError(f"{origin}: give 'system' and/or 'user' to replace")
        base = defaults[question]
        if version == base.version:
            raise ValueError(
                f"{origin}: version {version!r} is the default prompt's; give the override"
                " a version of its own"
            )
        prompt = Prompt(
            question=question,
            version=version,
            system=_expand_rules(override.get("system", base.system)),
            user=_expand_rules(override.get("user", base.user)),
        )
        _check_prompt(prompt, origin=origin)
        prompts[question] = prompt
    return PromptSet(prompts)
