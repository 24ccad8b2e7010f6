"""Prompts as data: stored, versioned, overridable texts for a language model.

A prompt has a `key` (what it is for, e.g. a question key), a `version` stored with
everything it produced, and `system` and `user` texts. Placeholders are exact tokens
replaced by `Prompt.render` (no `str.format`, so any other brace in a prompt is literal):

- `{payload}` (required in `user`): the compact JSON the caller builds from its data;
- `{language}` (required in `system` or `user`): the name of the language every
  human-readable text of the answer must be written in, e.g. "Spanish (español)";
- `{question}` (optional): the prompt's key, e.g. "q3";
- `{rules}` (optional, expanded when a prompt is loaded): shared rules given by the
  owner of the prompts.

Where the texts live and which keys exist is the owner's business (the analyses keep one
`prompt.json` per question folder); this module reads, checks, overrides and renders.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PAYLOAD = "{payload}"
LANGUAGE = "{language}"
QUESTION = "{question}"
RULES = "{rules}"
PLACEHOLDERS = frozenset({PAYLOAD, LANGUAGE, QUESTION, RULES})

LANGUAGE_NAMES: dict[str, str] = {"es": "Spanish (español)", "en": "English"}

_PLACEHOLDER_RE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:+-]{0,99}$"  # a prompt version
_VERSION_RE = re.compile(VERSION_PATTERN)
_OVERRIDE_FIELDS = frozenset({"version", "system", "user"})
_MAX_TEXT = 20_000  # characters of one system or user text


@dataclass(frozen=True, slots=True)
class Prompt:
    """One prompt at one version (`{rules}` already expanded)."""

    key: str
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
        values = {PAYLOAD: payload, LANGUAGE: language_name(language), QUESTION: self.key}
        return _substitute(self.system, values), _substitute(self.user, values)


class PromptSet(Mapping[str, Prompt]):
    """The prompts to use for exactly the keys it was made for, immutable."""

    __slots__ = ("_prompts",)

    def __init__(self, prompts: Mapping[str, Prompt], keys: Sequence[str]) -> None:
        missing = [k for k in keys if k not in prompts]
        unknown = sorted(set(prompts) - set(keys))
        if missing or unknown:
            raise ValueError(
                f"a prompt set needs exactly the keys {', '.join(keys)}"
                f" (missing: {missing or 'none'}, unknown: {unknown or 'none'})"
            )
        for key, prompt in prompts.items():
            if prompt.key != key:
                raise ValueError(f"prompt for {key!r} says it is for {prompt.key!r}")
        self._prompts: dict[str, Prompt] = {k: prompts[k] for k in keys}

    def __getitem__(self, key: str) -> Prompt:
        return self._prompts[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._prompts)

    def __len__(self) -> int:
        return len(self._prompts)

    def versions(self) -> dict[str, str]:
        return {k: p.version for k, p in self._prompts.items()}

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


def rules_text(data: Mapping[str, Any], *, origin: str) -> str:
    """The shared rules of a rules file: `rules` as text or as a list of lines."""
    rules = data.get("rules")
    if isinstance(rules, list):
        rules = "\n".join(f"- {line}" for line in rules)
    if not isinstance(rules, str) or not rules.strip():
        raise ValueError(f"{origin} must define 'rules' (text or list of lines)")
    return rules


def parse_prompt(data: Mapping[str, Any], *, key: str, rules: str, origin: str) -> Prompt:
    """A stored prompt file's JSON (`question`, `version`, `system`, `user`) as a checked
    Prompt for `key`; ValueError naming `origin`."""
    fields = {k: data.get(k) for k in ("question", "version", "system", "user")}
    if not all(isinstance(v, str) for v in fields.values()):
        raise ValueError(f"{origin}: question, version, system and user must be strings")
    if fields["question"] != key:
        raise ValueError(f"{origin}: 'question' is {fields['question']!r}, expected {key!r}")
    prompt = Prompt(
        key=key,
        version=str(fields["version"]),
        system=_expand(str(fields["system"]), rules),
        user=_expand(str(fields["user"]), rules),
    )
    check_prompt(prompt, origin=origin)
    return prompt


def apply_overrides(
    defaults: PromptSet, overrides: Mapping[str, Mapping[str, str]] | None, *, rules: str
) -> PromptSet:
    """The default prompts with a tenant's overrides applied.

    `overrides` maps a key to {"version": ..., "system": ..., "user": ...}; `version` is
    required and must differ from the default's, `system` and/or `user` replace the
    default text (the one left out is kept). `{rules}` may be used in an override to
    include the shared rules. Anything invalid raises ValueError.
    """
    if not overrides:
        return defaults
    unknown = sorted(str(k) for k in overrides if k not in defaults)
    if unknown:
        raise ValueError(
            f"prompt overrides for unknown question(s) {', '.join(unknown)}"
            f" (expected keys among {', '.join(defaults)})"
        )
    prompts = dict(defaults)
    for key, override in overrides.items():
        origin = f"prompt override for {key}"
        if not isinstance(override, Mapping):
            raise ValueError(f"{origin}: must be an object with version, system and/or user")
        extra = sorted(str(k) for k in override if k not in _OVERRIDE_FIELDS)
        if extra:
            raise ValueError(
                f"{origin}: unknown field(s) {', '.join(extra)} (allowed: system, user, version)"
            )
        for name, value in override.items():
            if not isinstance(value, str):
                raise ValueError(f"{origin}: {name!r} must be a string")
        version = override.get("version")
        if not version or not version.strip():
            raise ValueError(f"{origin}: a 'version' is required (e.g. 'tenant-acme.{key}.v2')")
        if "system" not in override and "user" not in override:
            raise ValueError(f"{origin}: give 'system' and/or 'user' to replace")
        base = defaults[key]
        if version == base.version:
            raise ValueError(
                f"{origin}: version {version!r} is the default prompt's; give the override"
                " a version of its own"
            )
        prompt = Prompt(
            key=key,
            version=version,
            system=_expand(override.get("system", base.system), rules),
            user=_expand(override.get("user", base.user), rules),
        )
        check_prompt(prompt, origin=origin)
        prompts[key] = prompt
    return PromptSet(prompts, list(defaults))


def check_prompt(prompt: Prompt, *, origin: str) -> None:
    """Placeholders and version of a complete prompt; ValueError naming `origin`."""
    if not _VERSION_RE.match(prompt.version):
        raise ValueError(
            f"{origin}: version {prompt.version!r} must be 1-100 characters of letters,"
            " digits and . _ : + - (e.g. 'tenant-acme.v2')"
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


def _expand(text: str, rules: str) -> str:
    return text.replace(RULES, rules) if RULES in text else text


def _substitute(text: str, values: Mapping[str, str]) -> str:
    # One pass, so a value that contains a placeholder-looking token is left alone.
    return _PLACEHOLDER_RE.sub(lambda m: values.get(m.group(0), m.group(0)), text)
