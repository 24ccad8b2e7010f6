"""Both engines read the same figures: what the OpenAI-compatible engine sends a model
for a window equals what the local engine reports for that window."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from app.analyses import payload
from app.analyses.question import Previous
from app.analyses.registry import BY_KEY, QUESTIONS
from app.analyses.window import Window
from tests.analyses.builders import answer, demo_window


@pytest.fixture(scope="module")
def window() -> Window:
    return demo_window(1500, client=1, lang="en")


@pytest.fixture(scope="module")
def results(window: Window) -> dict[str, BaseModel]:
    return {q.key: answer(q.key, window) for q in QUESTIONS if not q.depends_on}


def _payload(key: str, window: Window, results: dict[str, BaseModel] | None = None) -> Any:
    question = BY_KEY[key]
    stored = {k: r.model_dump(mode="json") for k, r in (results or {}).items()}
    previous = Previous.load(question.depends_on, stored) if question.depends_on else Previous()
    return payload.build(question, window, previous)


def test_sentiment_figures_agree(window: Window, results: dict[str, BaseModel]) -> None:
    q7 = results["q7"].model_dump(mode="json")
    sent = _payload("q7", window)
    totals = sent["totals"]
    assert totals["posts"] == q7["posts_analyzed"] == window.n
    assert totals["sentiment"] == {
        "positive": q7["positive"],
        "neutral": q7["neutral"],
        "negative": q7["negative"],
    }
    enrichment = sent["enrichment"]
    assert enrichment["positive_share"] == q7["positive_share"]
    assert enrichment["negative_share"] == q7["negative_share"]
    assert enrichment["net_sentiment"] == q7["net_score"]
    platforms = {row["platform"]: row for row in sent["by_platform"]}
    for row in q7["by_platform"]:
        assert platforms[row["platform"]]["posts"] == row["posts"]
        assert platforms[row["platform"]]["negative_share"] == row["negative_share"]
        assert platforms[row["platform"]]["net_sentiment"] == row["net_score"]
    assert sent["sentiment_over_time"]["granularity"] == q7["granularity"]
    assert sent["sentiment_over_time"]["spikes"] == q7["spikes"]
    assert q7["spikes"], "the demo data plants negative spikes"
    series = {row["period_start"]: row for row in sent["sentiment_over_time"]["series"]}
    for period in q7["over_time"]:
        if period["posts"]:
            assert series[period["period_start"]]["net_sentiment"] == period["net_score"]


def test_temporal_figures_agree(window: Window, results: dict[str, BaseModel]) -> None:
    q8 = results["q8"].model_dump(mode="json")
    activity = _payload("q8", window)["activity"]
    assert activity["timezone"] == q8["timezone"]
    assert activity["volume_trend"] == q8["volume_trend"]
    assert activity["engagement_trend"] == q8["engagement_trend"]
    assert activity["weekly"] == q8["weekly"]
    cells = {(c["weekday"], c["hour"]): c for c in q8["cells"]}
    for cell in activity["cells"]:
        local = cells[(cell["weekday"], cell["hour"])]
        assert (cell["posts"], cell["own_posts"]) == (local["posts"], local["own_posts"])
        assert cell["mean_engagement_rate"] == local["mean_engagement_rate"]
    assert sum(c["posts"] for c in activity["cells"]) == window.n


def test_emotion_figures_agree(window: Window, results: dict[str, BaseModel]) -> None:
    q1 = results["q1"].model_dump(mode="json")
    sent = _payload("q1", window)
    counts = {row["emotion"]: row["posts"] for row in sent["enrichment"]["emotions"]}
    assert counts == {d["emotion"]: d["posts"] for d in q1["distribution"] if d["posts"]}
    weeks = {w["week_start"]: w["posts"] for w in sent["emotions_by_week"]}
    assert weeks == {w["period_start"]: w["posts"] for w in q1["over_time"] if w["posts"]}


def test_influencer_figures_agree(window: Window, results: dict[str, BaseModel]) -> None:
    q5 = results["q5"].model_dump(mode="json")
    influencers = _payload("q5", window)["influencers"]
    assert influencers["posts_by_others"] == q5["posts_analyzed"]
    assert influencers["authors"][: len(q5["authors"])] == q5["authors"]
    assert influencers["mentioned_accounts"] == q5["mentioned_accounts"]


def test_opportunity_figures_agree(window: Window, results: dict[str, BaseModel]) -> None:
    q6 = results["q6"].model_dump(mode="json")
    segments = _payload("q6", window)["segments"]
    assert segments["basis"] == q6["basis"]
    assert segments["baseline_engagement_rate"] == q6["baseline_engagement_rate"]
    for opportunity in q6["opportunities"]:
        rows = segments["dimensions"][opportunity["dimension"]]["segments"]
        row = next(r for r in rows if r["segment"] == opportunity["segment"])
        assert row["qualifies"]
        assert (row["posts"], row["lift"], row["gap_score"]) == (
            opportunity["posts"],
            opportunity["lift"],
            opportunity["gap_score"],
        )


def test_brand_and_topic_figures_agree(window: Window, results: dict[str, BaseModel]) -> None:
    sent = _payload("q3", window)
    assert sent["posts_naming_the_brand"] == sum(
        1 for p in window.posts if window.brand.mentions(p)
    )
    q3 = results["q3"].model_dump(mode="json")
    topics = {row["topic"]: row["posts"] for row in sent["enrichment"]["topics"]}
    for topic in q3["topics"]:
        assert topics[topic["label"]] >= topic["posts"]  # members include second topics


def test_dependent_questions_send_what_they_read(
    window: Window, results: dict[str, BaseModel]
) -> None:
    for question in QUESTIONS:
        if not question.depends_on:
            continue
        sent = _payload(question.key, window, results)
        assert sorted(sent["previous_results"]) == sorted(d.key for d in question.depends_on)
        assert len(sent["posts"]) <= (question.sample.limit or 200)
