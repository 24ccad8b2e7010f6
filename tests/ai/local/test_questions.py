"""Local Q1..Q10 on generated demo data and on empty input, the engine, the models.

Also holds the small builders the other test_q*.py files import (no database needed).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from pydantic import BaseModel

from app.ai.base import (
    EMOTIONS,
    AnalysisEngineError,
    AnalysisInput,
    ClientProfile,
    EmotionScores,
    PostRecord,
)
from app.ai.local.analysis_engine import (
    LocalEngine,
    clear_caches,
    enrich,
    enrich_in_place,
    topic_model,
)
from app.ai.local.questions import COMPUTE
from app.analyses.results import QUESTION_SLUGS, RESULT_MODELS
from app.demo.generator import DEMO_CLIENTS, generate_posts

END = datetime(2025, 6, 1, tzinfo=UTC)
_ids = count(1)

CLIENT = ClientProfile(
    name="Banco Andino",
    industry="banking",
    country="PE",
    language="es",
    competitors=("BCP", "Interbank"),
    handles=("bancoandino",),
)


def post(text: str, **kw: Any) -> PostRecord:
    """A post with sensible defaults; override any field by keyword."""
    fields: dict[str, Any] = {
        "id": f"t{next(_ids)}",
        "platform": "x",
        "account_handle": "bancoandino",
        "author_handle": "cliente",
        "author_followers": 500,
        "text": text,
        "published_at": END - timedelta(days=3),
        "likes": 5,
        "comments": 1,
        "shares": 0,
        "views": 100,
        "reach": 80,
        "content_type": "text",
        "hashtags": (),
        "mentions": (),
        "is_own": False,
    }
    fields.update(kw)
    if fields["is_own"] and "author_handle" not in kw:
        fields["author_handle"] = fields["account_handle"]
    return PostRecord(**fields)


def data_for(
    posts: Sequence[PostRecord],
    *,
    lang: str = "en",
    tz: str = "America/Lima",
    days: int = 30,
    previous: dict[str, Any] | None = None,
) -> AnalysisInput:
    return AnalysisInput(
        client=CLIENT,
        posts=list(posts),
        window_start=END - timedelta(days=days),
        window_end=END,
        tenant_language=lang,
        timezone=tz,
        previous=previous or {},
    )


def demo_input(n: int = 1000, client: int = 0, lang: str = "es") -> AnalysisInput:
    spec = DEMO_CLIENTS[client]
    generated = generate_posts(spec, n_posts=n, end=END, days=90, seed=11)
    posts = [
        PostRecord(
            id=f"d{i}",
            platform=g.platform,
            account_handle=g.account_handle,
            author_handle=g.author_handle,
            author_followers=g.author_followers,
            text=g.text,
            published_at=g.published_at,
            likes=g.likes,
            comments=g.comments,
            shares=g.shares,
            views=g.views,
            reach=g.reach,
            content_type=g.content_type,
            hashtags=tuple(g.hashtags),
            mentions=tuple(g.mentions),
            is_own=g.is_own,
        )
        for i, g in enumerate(generated)
    ]
    client_profile = ClientProfile(
        name=spec.name,
        industry=spec.industry,
        country=spec.country,
        language=spec.language,
        competitors=tuple(spec.competitors),
        handles=tuple(sorted({a.handle for a in spec.accounts})),
    )
    return AnalysisInput(
        client=client_profile,
        posts=posts,
        window_start=END - timedelta(days=90),
        window_end=END,
        tenant_language=lang,
        timezone="America/Lima",
    )


# --------------------------------------------------------------------------- tests

BASE = ("q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8")


@pytest.fixture(scope="module")
def demo() -> AnalysisInput:
    return demo_input(1000)


@pytest.fixture(scope="module")
def base_results(demo: AnalysisInput) -> dict[str, BaseModel]:
    return {q: COMPUTE[q](demo) for q in BASE}


def _roundtrip(key: str, result: BaseModel) -> dict[str, Any]:
    model = RESULT_MODELS[key]
    assert isinstance(result, model)
    dumped = result.model_dump(mode="json")
    json.dumps(dumped)
    again = model.model_validate(result.model_dump())
    assert again == result
    assert model.model_validate_json(json.dumps(dumped)) == result
    return dumped


def test_registry_keys_and_slugs() -> None:
    keys = [f"q{i}" for i in range(1, 11)]
    assert list(RESULT_MODELS) == keys
    assert list(QUESTION_SLUGS) == keys
    assert list(COMPUTE) == keys
    assert QUESTION_SLUGS["q4"] == "narrative_frames"


@pytest.mark.parametrize("key", [f"q{i}" for i in range(1, 11)])
def test_model_schema_and_example(key: str) -> None:
    model = RESULT_MODELS[key]
    schema = model.model_json_schema()
    assert schema["additionalProperties"] is False
    assert {"posts_analyzed", "notes"} <= set(schema["required"])
    for name, info in model.model_fields.items():
        assert info.description, f"{model.__name__}.{name} has no description"
    examples = schema["examples"]
    assert examples
    for example in examples:
        model.model_validate(example)


def test_base_questions_on_demo(demo: AnalysisInput, base_results: dict[str, BaseModel]) -> None:
    for key, result in base_results.items():
        dumped = _roundtrip(key, result)
        assert dumped["posts_analyzed"] > 0, key
    q1 = base_results["q1"].model_dump()
    assert abs(sum(d["share"] for d in q1["distribution"]) - 1.0) < 1e-9
    assert len(q1["distribution"]) == 8
    q3 = base_results["q3"].model_dump()
    assert 2 <= q3["k"] <= 8
    assert q3["topics"][0]["share"] >= q3["topics"][-1]["share"]
    q7 = base_results["q7"].model_dump()
    assert q7["positive"] + q7["neutral"] + q7["negative"] == len(demo.posts)
    assert abs(q7["net_score"] - (q7["positive_share"] - q7["negative_share"])) < 1e-3
    q8 = base_results["q8"].model_dump()
    assert len(q8["cells"]) == 168
    assert sum(c["posts"] for c in q8["cells"]) == len(demo.posts)


@pytest.mark.parametrize("lang", ["es", "en"])
def test_recommendations_and_summary(
    demo: AnalysisInput, base_results: dict[str, BaseModel], lang: str
) -> None:
    previous = {k: r.model_dump(mode="json") for k, r in base_results.items()}
    data = replace(demo, tenant_language=lang, previous=previous)
    q9 = COMPUTE["q9"](data)
    dumped = _roundtrip("q9", q9)
    assert dumped["language"] == lang
    assert dumped["missing_inputs"] == []
    assert dumped["recommendations"]
    assert [r["priority"] for r in dumped["recommendations"]] == list(
        range(1, len(dumped["recommendations"]) + 1)
    )
    for rec in dumped["recommendations"]:
        assert rec["evidence"]
        assert all(e["source"] in BASE for e in rec["evidence"])
    q10 = COMPUTE["q10"](data)
    summary = _roundtrip("q10", q10)
    word = "publicaciones" if lang == "es" else "posts"
    assert word in summary["headline"]
    assert summary["kpis"]["posts"] == len(demo.posts)
    assert summary["findings"]


def test_recommendations_say_what_is_missing(demo: AnalysisInput) -> None:
    result = COMPUTE["q9"](replace(demo, previous={}))
    dumped = _roundtrip("q9", result)
    assert dumped["recommendations"] == []
    assert dumped["missing_inputs"] == list(BASE)
    assert any("run them first" in n for n in dumped["notes"])
    broken = COMPUTE["q10"](replace(demo, previous={"q7": {"positive": "lots"}}))
    assert "q7" in broken.model_dump()["missing_inputs"]


@pytest.mark.parametrize("key", [f"q{i}" for i in range(1, 11)])
def test_empty_input_gives_a_valid_result_with_a_note(key: str) -> None:
    result = COMPUTE[key](data_for([], lang="es"))
    dumped = _roundtrip(key, result)
    assert dumped["posts_analyzed"] == 0
    assert dumped["notes"]


def test_deterministic(demo: AnalysisInput, base_results: dict[str, BaseModel]) -> None:
    again = COMPUTE["q3"](replace(demo, posts=list(demo.posts)))
    assert again == base_results["q3"]


def test_enrich_fills_and_reuses(demo: AnalysisInput) -> None:
    posts = list(demo.posts[:300])
    stored = replace(posts[0], sentiment_label="negative", sentiment_score=-0.5,
                     emotion_label="anger", language="es")  # fmt: skip
    enriched = enrich([stored, *posts[1:]])
    assert enriched[0].sentiment_label == "negative"  # not re-analysed
    assert enriched[0].emotion_label == "anger"
    assert all(p.sentiment_label and p.language and p.emotion_scores for p in enriched[1:])
    model = topic_model(enriched)
    labels = {t.label for t in model.topics}
    assert labels
    assert any(p.topics for p in enriched)
    assert all(set(p.topics) <= labels for p in enriched)
    assert any(p.frames for p in enriched)
    assert enrich([]) == []


def test_enrich_in_place_matches_enrich_and_reports_changes(demo: AnalysisInput) -> None:
    posts = list(demo.posts[:300])
    expected = enrich(posts)
    window = list(posts)
    changed = enrich_in_place(window)
    assert window == expected
    assert changed == list(range(len(posts)))  # nothing was enriched before
    assert all(isinstance(p.emotion_scores, EmotionScores) for p in window)
    again = list(window)
    assert enrich_in_place(again) == []  # already enriched: nothing to store
    assert again == window
    stale = replace(window[5], sentiment_label="positive", sentiment_score=0.9)
    assert enrich_in_place([*window[:5], stale, *window[6:]]) == []  # stored sentiment kept
    i = next(i for i, p in enumerate(window) if p.topics)
    untopical = replace(window[i], topics=())
    assert enrich_in_place([*window[:i], untopical, *window[i + 1 :]]) == [i]


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


async def test_engine_run(demo: AnalysisInput) -> None:
    engine = LocalEngine()
    assert engine.name == "local"
    out = await engine.run("q7", demo, RESULT_MODELS["q7"])
    assert out.model == "local-1"
    assert out.prompt_version == "local"
    assert isinstance(out.result, RESULT_MODELS["q7"])
    with pytest.raises(AnalysisEngineError):
        await engine.run("q11", demo, RESULT_MODELS["q7"])


async def test_engine_runs_questions_concurrently(
    demo: AnalysisInput, base_results: dict[str, BaseModel]
) -> None:
    clear_caches()
    engine = LocalEngine()
    outs = await asyncio.gather(*(engine.run(q, demo, RESULT_MODELS[q]) for q in BASE))
    assert {q: o.result for q, o in zip(BASE, outs, strict=True)} == base_results


def test_unknown_time_zone_falls_back_to_utc() -> None:
    result = COMPUTE["q8"](data_for([post("Hola")], tz="Mars/Olympus"))
    dumped = _roundtrip("q8", result)
    assert dumped["timezone"] == "UTC"
    assert any("Unknown time zone" in n for n in dumped["notes"])
