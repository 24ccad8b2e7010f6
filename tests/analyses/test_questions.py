"""Every question on generated demo data and on empty input, the window's enrichment, the
local engine and the result models (no database needed)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import pytest
from pydantic import BaseModel

from app.ai.local.topics import auto_k
from app.ai.local.types import EMOTIONS
from app.analyses.engines import LocalEngine
from app.analyses.enrichment import enrich_in_place
from app.analyses.question import Previous
from app.analyses.records import EmotionScores
from app.analyses.registry import BY_KEY, KEYS, QUESTIONS
from app.analyses.window import Window
from tests.analyses.builders import answer, demo_posts, demo_window, post, window_for

# What Q9 and Q10 read: every question but themselves.
INDEPENDENT = [q.key for q in BY_KEY["q9"].depends_on]
DEPENDENT = [q.key for q in QUESTIONS if q.depends_on]


@pytest.fixture(scope="module")
def demo() -> Window:
    return demo_window(1000)


@pytest.fixture(scope="module")
def base_results(demo: Window) -> dict[str, BaseModel]:
    return {key: answer(key, demo) for key in INDEPENDENT}


def _roundtrip(key: str, result: BaseModel) -> dict[str, Any]:
    model = BY_KEY[key].result
    assert isinstance(result, model)
    dumped = result.model_dump(mode="json")
    json.dumps(dumped)
    again = model.model_validate(result.model_dump())
    assert again == result
    assert model.model_validate_json(json.dumps(dumped)) == result
    return dumped


@pytest.mark.parametrize("key", KEYS)
def test_model_schema_and_example(key: str) -> None:
    model = BY_KEY[key].result
    schema = model.model_json_schema()
    assert schema["additionalProperties"] is False
    assert {"posts_analyzed", "notes"} <= set(schema["required"])
    for name, info in model.model_fields.items():
        assert info.description, f"{model.__name__}.{name} has no description"
    examples = schema["examples"]
    assert examples
    for example in examples:
        model.model_validate(example)


def test_base_questions_on_demo(demo: Window, base_results: dict[str, BaseModel]) -> None:
    for key, result in base_results.items():
        dumped = _roundtrip(key, result)
        assert dumped["posts_analyzed"] > 0, key
    q1 = base_results["q1"].model_dump()
    assert abs(sum(d["share"] for d in q1["distribution"]) - 1.0) < 1e-9
    assert len(q1["distribution"]) == 8
    q3 = base_results["q3"].model_dump()
    assert 2 <= q3["k"] <= auto_k(demo.n)
    sizes = [t["distinct_texts"] for t in q3["topics"]]
    assert sizes == sorted(sizes, reverse=True)
    q7 = base_results["q7"].model_dump()
    assert q7["positive"] + q7["neutral"] + q7["negative"] == demo.n
    assert abs(q7["net_score"] - (q7["positive_share"] - q7["negative_share"])) < 1e-3
    q8 = base_results["q8"].model_dump()
    assert len(q8["cells"]) == 168
    assert sum(c["posts"] for c in q8["cells"]) == demo.n


@pytest.mark.parametrize("lang", ["es", "en"])
def test_recommendations_and_summary(
    demo: Window, base_results: dict[str, BaseModel], lang: str
) -> None:
    window = replace(demo, lang=lang)
    q9 = answer("q9", window, base_results)
    dumped = _roundtrip("q9", q9)
    assert dumped["language"] == lang
    assert dumped["missing_inputs"] == []
    assert dumped["inputs_used"] == INDEPENDENT
    assert dumped["recommendations"]
    assert [r["priority"] for r in dumped["recommendations"]] == list(
        range(1, len(dumped["recommendations"]) + 1)
    )
    for rec in dumped["recommendations"]:
        assert rec["evidence"]
        assert all(e["source"] in INDEPENDENT for e in rec["evidence"])
    q10 = answer("q10", window, base_results)
    summary = _roundtrip("q10", q10)
    word = "publicaciones" if lang == "es" else "posts"
    assert word in summary["headline"]
    assert summary["kpis"]["posts"] == demo.n
    assert summary["findings"]


def test_recommendations_say_what_is_missing(demo: Window) -> None:
    result = answer("q9", demo, {})
    dumped = _roundtrip("q9", result)
    assert dumped["recommendations"] == []
    assert dumped["missing_inputs"] == INDEPENDENT
    # Said in the window's language (the demo tenant's: Spanish).
    assert demo.lang == "es"
    assert any("ejecútelos antes" in n and "q11" in n for n in dumped["notes"])
    broken = answer("q10", demo, {"q7": {"positive": "lots"}})
    assert "q7" in broken.model_dump()["missing_inputs"]
    assert any("no encaja con su modelo actual" in n for n in broken.model_dump()["notes"])
    english = answer("q9", replace(demo, lang="en"), {})
    assert any("run them first" in n for n in english.model_dump()["notes"])


def test_a_citation_names_an_input_or_the_posts() -> None:
    citation = BY_KEY["q9"].result.model_fields["recommendations"]
    assert citation.description
    schema = BY_KEY["q9"].result.model_json_schema()
    assert schema["$defs"]["Citation"]["properties"]["source"]["enum"] == [*INDEPENDENT, "posts"]
    example = BY_KEY["q9"].result.model_json_schema()["examples"][0]
    example["recommendations"][0]["evidence"][0]["source"] = "q9"
    with pytest.raises(ValueError, match="source must be one of"):
        BY_KEY["q9"].result.model_validate(example)


@pytest.mark.parametrize("key", KEYS)
def test_empty_input_gives_a_valid_result_with_a_note(key: str) -> None:
    result = answer(key, window_for([], lang="es"))
    dumped = _roundtrip(key, result)
    assert dumped["posts_analyzed"] == 0
    assert dumped["notes"]


def test_deterministic(base_results: dict[str, BaseModel]) -> None:
    again = answer("q3", demo_window(1000))
    assert again == base_results["q3"]


def test_window_enriches_and_keeps_stored_enrichment() -> None:
    posts = demo_posts(300)
    stored = replace(posts[0], sentiment_label="negative", sentiment_score=-0.5,
                     emotion_label="anger", language="es")  # fmt: skip
    window = window_for([stored, *posts[1:]], lang="es", days=90)
    enriched = window.posts
    assert enriched[0].sentiment_label == "negative"  # not re-analysed
    assert enriched[0].emotion_label == "anger"
    assert all(p.sentiment_label and p.language and p.emotion_scores for p in enriched[1:])
    labels = {t.label for t in window.topics.topics}
    assert labels
    assert any(p.topics for p in enriched)
    assert all(set(p.topics) <= labels for p in enriched)
    assert any(p.frames for p in enriched)
    assert window_for([]).posts == []


def test_enrich_in_place_reports_what_changed() -> None:
    window = demo_posts(300)
    handles = frozenset({"bancoandino"})
    changed, _ = enrich_in_place(window, handles)
    assert changed == list(range(300))  # nothing was enriched before
    assert all(isinstance(p.emotion_scores, EmotionScores) for p in window)
    again = list(window)
    assert enrich_in_place(again, handles)[0] == []  # already enriched: nothing to store
    assert again == window
    stale = replace(window[5], sentiment_label="positive", sentiment_score=0.9)
    assert enrich_in_place([*window[:5], stale, *window[6:]], handles)[0] == []  # kept
    i = next(i for i, p in enumerate(window) if p.topics)
    untopical = replace(window[i], topics=())
    assert enrich_in_place([*window[:i], untopical, *window[i + 1 :]], handles)[0] == [i]


def test_window_build_reports_the_posts_to_store() -> None:
    posts = demo_posts(200)
    first = window_for(posts, days=90)
    assert list(first.enrichment_changed) == list(range(200))
    assert not window_for(list(first.posts), days=90).enrichment_changed


def test_emotion_scores_read_like_the_dict_they_replace() -> None:
    source = {"joy": 0.5, "trust": 0.25, "neutral": 0.25, "unknown": 9.0}
    scores = EmotionScores(source)
    assert scores["joy"] == 0.5
    assert scores.get("anger") == 0.0
    assert scores.get("unknown", "none") == "none"
    assert list(scores) == list(EMOTIONS)
    assert dict(scores) == {e: source.get(e, 0.0) for e in EMOTIONS}
    assert scores == EmotionScores(dict(scores)) == dict(scores)
    assert EmotionScores.of(scores) is scores
    assert EmotionScores.of(None) is None
    assert json.loads(json.dumps(dict(scores)))["trust"] == 0.25
    with pytest.raises(KeyError):
        scores["unknown"]


async def test_engine_run(demo: Window) -> None:
    engine = LocalEngine()
    assert engine.name == "local"
    out = await engine.run(BY_KEY["q7"], demo, Previous())
    assert out.model == "local-1"
    assert out.prompt_version == "local"
    assert isinstance(out.result, BY_KEY["q7"].result)


async def test_engine_runs_questions_concurrently_on_one_window(
    demo: Window, base_results: dict[str, BaseModel]
) -> None:
    engine = LocalEngine()
    outs = await asyncio.gather(*(engine.run(BY_KEY[k], demo, Previous()) for k in INDEPENDENT))
    assert {k: o.result for k, o in zip(INDEPENDENT, outs, strict=True)} == base_results


def test_unknown_time_zone_falls_back_to_utc() -> None:
    result = answer("q8", window_for([post("Hola")], tz="Mars/Olympus"))
    dumped = _roundtrip("q8", result)
    assert dumped["timezone"] == "UTC"
    assert any("Unknown time zone" in n for n in dumped["notes"])
