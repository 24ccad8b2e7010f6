"""The analyses' stored, versioned prompts (each question folder's prompt.json and the
shared questions/rules.json) and a tenant's overrides of them."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import pytest

from app.ai.prompts import PromptSet, language_name
from app.analyses import questions as questions_package
from app.analyses.prompts import default_prompts, resolve_prompts, shared_rules
from app.analyses.registry import KEYS, QUESTIONS

LEFTOVER = re.compile(r"\{[A-Za-z_]+\}")


def stored(package: str, name: str) -> dict[str, Any]:
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    return dict(json.loads(text))


def test_every_question_has_a_versioned_prompt() -> None:
    prompts = default_prompts()
    assert list(prompts) == list(KEYS)
    versions = set()
    for question in QUESTIONS:
        prompt = prompts[question.key]
        assert prompt.key == question.key
        assert re.fullmatch(rf"{question.key}\.v\d+", prompt.version), prompt.version
        assert "{payload}" in prompt.user
        assert "{rules}" not in prompt.system  # shared rules expanded at load
        assert "Never invent posts" in prompt.system
        assert "{language}" in prompt.system
        versions.add(prompt.version)
        # The file in the question's folder is what was loaded.
        raw = stored(question.package, "prompt.json")
        assert raw["question"] == question.key
        assert raw["version"] == prompt.version
        assert raw["user"] == prompt.user
        assert raw["system"].replace("{rules}", shared_rules()) == prompt.system
    assert len(versions) == len(KEYS)


def test_the_shared_rules_are_in_every_prompt() -> None:
    raw = stored(questions_package.__name__, "rules.json")
    assert raw["version"]
    rules = shared_rules()
    assert rules == "\n".join(f"- {line}" for line in raw["rules"])
    assert shared_rules() is rules  # read once
    for prompt in default_prompts().values():
        assert rules in prompt.system, prompt.key


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
        "q11": ["benchmark", "share_of_voice", "never partners"],
    }
    assert set(expectations) == set(KEYS)
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
    assert len(default_prompts()) == len(QUESTIONS) == len(KEYS)


@pytest.mark.parametrize("language", ["es", "en"])
def test_render_leaves_no_placeholder(language: str) -> None:
    for prompt in default_prompts().values():
        system, user = prompt.render(payload='{"question":"x"}', language=language)
        assert not LEFTOVER.search(system), prompt.key
        assert not LEFTOVER.search(user.replace('{"question":"x"}', "")), prompt.key
        assert language_name(language) in system
        assert user.endswith('{"question":"x"}')


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
    assert list(prompts) == list(KEYS)
    assert prompts.versions()["q3"] == "tenant-acme.q3.v2"
    assert prompts["q3"].digest != default_prompts()["q3"].digest
    assert default_prompts()["q3"].version == "q3.v1"  # the defaults are untouched


def test_override_may_include_the_shared_rules() -> None:
    prompts = resolve_prompts({"q2": {"version": "acme.q2.v3", "system": "{rules}\nExtra."}})
    assert "Never invent posts" in prompts["q2"].system
    assert "{rules}" not in prompts["q2"].system
    assert prompts["q2"].system == shared_rules() + "\nExtra."


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({f"q{len(KEYS) + 1}": {"version": "v", "system": "{language}"}}, "unknown question"),
        ({"q1": {"system": "x {language}"}}, "a 'version' is required"),
        ({"q1": {"version": " ", "system": "x {language}"}}, "a 'version' is required"),
        ({"q1": {"version": "q1.v2", "system": "x {language}"}}, "is the default prompt's"),
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
