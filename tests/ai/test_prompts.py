"""The prompt mechanism of app/ai/prompts.py: rendering, prompt sets, stored prompt files,
shared rules, overrides and checks, on prompts of its own (the analyses' stored prompts
and tenant overrides are tested in tests/analyses/test_prompts.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.ai.prompts import (
    LANGUAGE_NAMES,
    PLACEHOLDERS,
    Prompt,
    PromptSet,
    apply_overrides,
    check_prompt,
    language_name,
    parse_prompt,
    rules_text,
)

RULES = "- Be brief.\n- Never guess."


def prompt(key: str = "greet", **kw: str) -> Prompt:
    fields = {
        "version": f"{key}.v1",
        "system": "Answer in {language}.",
        "user": "Data for {question}:\n{payload}",
    }
    fields.update(kw)
    return Prompt(key=key, **fields)


def prompt_set(*keys: str) -> PromptSet:
    return PromptSet({k: prompt(k) for k in keys}, keys)


# --- rendering -----------------------------------------------------------------------------


def test_render_fills_every_placeholder() -> None:
    system, user = prompt().render(payload='{"x":1}', language="es")
    assert system == "Answer in Spanish (español)."
    assert user == 'Data for greet:\n{"x":1}'


def test_render_is_brace_safe() -> None:
    p = Prompt(
        key="q1",
        version="t.v1",
        system='Reply like {"a": 1} in {language}; {unknown} stays.',
        user="{question}: {payload}",
    )
    system, user = p.render(payload='{"text":"{language}"}', language="en")
    assert system == 'Reply like {"a": 1} in English; {unknown} stays.'
    assert user == 'q1: {"text":"{language}"}'  # a payload is never re-substituted


def test_language_names() -> None:
    assert language_name("es") == "Spanish (español)" == LANGUAGE_NAMES["es"]
    assert language_name("en") == "English" == LANGUAGE_NAMES["en"]


def test_unsupported_language() -> None:
    with pytest.raises(ValueError, match="unsupported tenant language 'fr'"):
        language_name("fr")
    with pytest.raises(ValueError, match="unsupported tenant language 'fr'"):
        prompt().render(payload="{}", language="fr")


def test_prompts_are_immutable_and_told_apart_by_digest() -> None:
    p = prompt()
    with pytest.raises(AttributeError):
        p.version = "x"  # type: ignore[misc]
    assert re.fullmatch(r"[0-9a-f]{16}", p.digest)
    assert prompt().digest == p.digest  # same texts, same digest
    assert prompt(version="greet.v2").digest == p.digest  # the version is not hashed
    assert prompt(system="Reply in {language}.").digest != p.digest
    assert prompt(user="{payload}").digest != p.digest


def test_placeholders_are_documented() -> None:
    assert {"{payload}", "{language}", "{question}", "{rules}"} == PLACEHOLDERS


# --- prompt sets ---------------------------------------------------------------------------


def test_prompt_set_keeps_the_keys_order() -> None:
    prompts = PromptSet({"b": prompt("b"), "a": prompt("a")}, ["a", "b"])
    assert list(prompts) == ["a", "b"]
    assert len(prompts) == 2
    assert prompts["b"].key == "b"
    assert prompts.versions() == {"a": "a.v1", "b": "b.v1"}
    assert repr(prompts) == "PromptSet({'a': 'a.v1', 'b': 'b.v1'})"


def test_prompt_set_needs_exactly_its_keys() -> None:
    with pytest.raises(ValueError, match=r"missing: \['b'\], unknown: none"):
        PromptSet({"a": prompt("a")}, ["a", "b"])
    with pytest.raises(ValueError, match=r"missing: none, unknown: \['c'\]"):
        PromptSet({"a": prompt("a"), "c": prompt("c")}, ["a"])
    with pytest.raises(ValueError, match="prompt for 'a' says it is for 'b'"):
        PromptSet({"a": prompt("b")}, ["a"])


# --- stored prompt files and shared rules --------------------------------------------------


def test_rules_text_from_lines_or_text() -> None:
    assert rules_text({"rules": ["Be brief.", "Never guess."]}, origin="r.json") == RULES
    assert rules_text({"rules": "Plain text."}, origin="r.json") == "Plain text."


@pytest.mark.parametrize("data", [{}, {"rules": ""}, {"rules": "  "}, {"rules": []}, {"rules": 3}])
def test_rules_text_is_required(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"r\.json must define 'rules'"):
        rules_text(data, origin="r.json")


def test_parse_prompt_expands_the_rules() -> None:
    data = {
        "question": "greet",
        "version": "greet.v3",
        "system": "{rules}\nAnswer in {language}.",
        "user": "{payload}",
    }
    parsed = parse_prompt(data, key="greet", rules=RULES, origin="greet/prompt.json")
    assert parsed == Prompt(
        key="greet", version="greet.v3", system=RULES + "\nAnswer in {language}.", user="{payload}"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"question": "other"}, "'question' is 'other', expected 'greet'"),
        ({"version": 2}, "question, version, system and user must be strings"),
        ({"user": None}, "question, version, system and user must be strings"),
        ({"user": "no payload"}, "must contain the {payload} placeholder"),
    ],
)
def test_parse_prompt_rejects_bad_files(change: dict[str, Any], message: str) -> None:
    data = {"question": "greet", "version": "greet.v1", "system": "{language}", "user": "{payload}"}
    data.update(change)
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        parse_prompt(data, key="greet", rules=RULES, origin="greet/prompt.json")
    assert str(info.value).startswith("greet/prompt.json: ")


# --- checks and overrides ------------------------------------------------------------------


@pytest.mark.parametrize("version", ["q3.v1", "tenant-acme.q3.v2", "a", "x:1+build_2", "V" * 100])
def test_check_prompt_accepts_versions(version: str) -> None:
    check_prompt(prompt(version=version), origin="test")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"version": ""}, "must be 1-100 characters"),
        ({"version": "V" * 101}, "must be 1-100 characters"),
        ({"version": ".v1"}, "must be 1-100 characters"),
        ({"system": "x" * 20_001 + "{language}"}, "'system' is longer than 20000 characters"),
        ({"user": "{payload}" + "x" * 20_000}, "'user' is longer than 20000 characters"),
        ({"user": "  "}, "'user' must not be empty"),
    ],
)
def test_check_prompt_rejects(fields: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        check_prompt(prompt(**fields), origin="the origin")
    assert str(info.value).startswith("the origin: ")


def test_language_may_be_in_user_or_system() -> None:
    check_prompt(prompt(system="No placeholder.", user="In {language}: {payload}"), origin="t")


def test_apply_overrides_works_on_any_keys() -> None:
    defaults = prompt_set("greet", "bye")
    assert apply_overrides(defaults, None, rules=RULES) is defaults
    assert apply_overrides(defaults, {}, rules=RULES) is defaults
    changed = apply_overrides(
        defaults, {"bye": {"version": "acme.bye.v2", "system": "{rules} {language}"}}, rules=RULES
    )
    assert list(changed) == ["greet", "bye"]
    assert changed["greet"] is defaults["greet"]
    assert changed["bye"] == Prompt(
        key="bye", version="acme.bye.v2", system=RULES + " {language}", user=defaults["bye"].user
    )
    with pytest.raises(
        ValueError, match=re.escape("a 'version' is required (e.g. 'tenant-acme.greet.v2')")
    ):
        apply_overrides(defaults, {"greet": {"system": "{language}"}}, rules=RULES)
    with pytest.raises(
        ValueError, match=re.escape("unknown question(s) hello (expected keys among")
    ):
        apply_overrides(defaults, {"hello": {"version": "v2", "user": "{payload}"}}, rules=RULES)
