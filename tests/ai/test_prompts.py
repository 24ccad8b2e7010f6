"""Stored, versioned prompts and per-tenant overrides."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import pytest

from app.ai.base import QUESTION_KEYS
from app.ai.prompts import (
    PLACEHOLDERS,
    Prompt,
    PromptSet,
    default_prompts,
    language_name,
    resolve_prompts,
)

LEFTOVER = re.compile(r"\{[A-Za-z_]+\}")


def data_file(name: str) -> dict[str, Any]:
    text = resources.files("app.ai.prompts").joinpath("data", name).read_text(encoding="utf-8")
    return dict(json.loads(text))


def test_every_question_has_a_versioned_prompt() -> None:
    prompts = default_prompts()
    assert list(prompts) == list(QUESTION_KEYS)
    versions = set()
    for question in QUESTION_KEYS:
        prompt = prompts[question]
        assert prompt.question == question
        assert prompt.version == f"{question}.v1"
        assert "{payload}" in prompt.user
        assert "{rules}" not in prompt.system  # shared rules expanded at load
        assert "Never invent posts" in prompt.system
        assert "{language}" in prompt.system
        versions.add(prompt.version)
        # The file on disk is what was loaded.
        raw = data_file(f"{question}.json")
        assert raw["question"] == question
        assert raw["version"] == prompt.version
    assert len(versions) == len(QUESTION_KEYS)
    assert data_file("common.json")["version"]


def test_prompts_are_specific_to_their_question() -> None:
    prompts = default_prompts()
    expectations = {
        "q1": ["anger", "disgust", "fear", "joy", "sadness", "surprise", "trust", "neutral"],
        "q2": ["sincerity", "excitement", "competence", "sophistication", "ruggedness"],
        "q3": ["topics", "emerging"],
        "q4": ["conflict", "human_interest", "economic", "morality", "responsibility", "brand"],
        "q5": ["stance", "influence_score", "supportive", "critical"],
        "q6": ["gap_score", "lift", "volume_share"],
        "q7": ["positive", "negative", "spikes", "sentiment_over_time"],
        "q8": ["activity", "Best windows", "trends"],
        "q9": ["previous_results", "No figure, no recommendation"],
        "q10": ["previous_results", "Headline", "KPIs"],
    }
    for question, words in expectations.items():
        system = prompts[question].system
        for word in words:
            assert word in system, (question, word)


def test_default_prompts_are_cached_and_immutable() -> None:
    assert default_prompts() is default_prompts()
    prompt = default_prompts()["q1"]
    with pytest.raises(AttributeError):
        prompt.version = "x"  # type: ignore[misc]
    assert isinstance(default_prompts(), PromptSet)
    assert len(default_prompts()) == 10


@pytest.mark.parametrize("language", ["es", "en"])
def test_render_leaves_no_placeholder(language: str) -> None:
    for prompt in default_prompts().values():
        system, user = prompt.render(payload='{"question":"x"}', language=language)
        assert not LEFTOVER.search(system), prompt.question
        assert not LEFTOVER.search(user.replace('{"question":"x"}', "")), prompt.question
        assert language_name(language) in system
        assert user.endswith('{"question":"x"}')


def test_render_is_brace_safe() -> None:
    prompt = Prompt(
        question="q1",
        version="t.v1",
        system='Reply like {"a": 1} in {language}; {unknown} stays.',
        user="{question}: {payload}",
    )
    system, user = prompt.render(payload='{"text":"{language}"}', language="en")
    assert system == 'Reply like {"a": 1} in English; {unknown} stays.'
    assert user == 'q1: {"text":"{language}"}'  # a payload is never re-substituted


def test_unsupported_language() -> None:
    with pytest.raises(ValueError, match="unsupported tenant language 'fr'"):
        default_prompts()["q1"].render(payload="{}", language="fr")


def test_no_overrides_gives_defaults() -> None:
    assert resolve_prompts(None) is default_prompts()
    assert resolve_prompts({}) is default_prompts()


def test_override_replaces_text_and_carries_its_version() -> None:
    prompts = resolve_prompts(
        {
            "q3": {
                "version": "tenant-acme.q3.v2",
                "system": "Acme topics. Write in {language}.",
                "user": "Data for {question}:\n{payload}",
            },
            "q7": {"version": "tenant-acme.q7.v1", "user": "Sentiment please:\n{payload}"},
        }
    )
    assert prompts["q3"].version == "tenant-acme.q3.v2"
    assert prompts["q3"].system == "Acme topics. Write in {language}."
    assert prompts["q3"].user == "Data for {question}:\n{payload}"
    # Only `user` given: the default system stays.
    assert prompts["q7"].system == default_prompts()["q7"].system
    assert prompts["q7"].user == "Sentiment please:\n{payload}"
    assert prompts["q7"].version == "tenant-acme.q7.v1"
    # Other questions keep the defaults.
    assert prompts["q1"] is default_prompts()["q1"]
    assert prompts.versions()["q3"] == "tenant-acme.q3.v2"
    assert prompts["q3"].digest != default_prompts()["q3"].digest


def test_override_may_include_the_shared_rules() -> None:
    prompts = resolve_prompts({"q2": {"version": "acme.q2.v3", "system": "{rules}\nExtra."}})
    assert "Never invent posts" in prompts["q2"].system
    assert "{rules}" not in prompts["q2"].system


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"q11": {"version": "v", "system": "{language}"}}, "unknown question"),
        ({"q1": {"system": "x {language}"}}, "a 'version' is required"),
        ({"q1": {"version": " ", "system": "x {language}"}}, "a 'version' is required"),
        ({"q1": {"version": "q1.v1", "system": "x {language}"}}, "is the default prompt's"),
        ({"q1": {"version": "has space", "system": "x {language}"}}, "must be 1-100 characters"),
        ({"q1": {"version": "a.v2"}}, "give 'system' and/or 'user'"),
        ({"q1": {"version": "a.v2", "user": "no placeholder"}}, "must contain the {payload}"),
        ({"q1": {"version": "a.v2", "system": "no language"}}, "{language} placeholder"),
        ({"q1": {"version": "a.v2", "user": "{payloda} {payload}"}}, "unknown placeholder"),
        ({"q1": {"version": "a.v2", "system": "{payload} {language}"}}, "belongs in 'user'"),
        ({"q1": {"version": "a.v2", "sytem": "x"}}, "unknown field"),
        ({"q1": {"version": "a.v2", "system": ""}}, "must not be empty"),
        ({"q1": {"version": "a.v2", "system": 5}}, "must be a string"),
        ({"q1": "just text"}, "must be an object"),
    ],
)
def test_invalid_overrides_are_rejected(overrides: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        resolve_prompts(overrides)
    if "q1" in overrides:
        assert "q1" in str(info.value)  # the message names the question


def test_prompt_set_needs_every_question() -> None:
    prompts = dict(default_prompts())
    del prompts["q4"]
    with pytest.raises(ValueError, match="missing: \\['q4'\\]"):
        PromptSet(prompts)
    wrong = dict(default_prompts())
    wrong["q2"] = default_prompts()["q3"]
    with pytest.raises(ValueError, match="says it is for 'q3'"):
        PromptSet(wrong)


def test_placeholders_are_documented() -> None:
    assert {"{payload}", "{language}", "{question}", "{rules}"} == PLACEHOLDERS
