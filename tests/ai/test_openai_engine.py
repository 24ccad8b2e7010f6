"""The `openai` engine against a fake OpenAI-compatible endpoint (real SDK, fake HTTP)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel, Field

from app.ai.base import (
    QUESTION_KEYS,
    AnalysisEngine,
    AnalysisEngineError,
    AnalysisInput,
    ClientProfile,
    PostRecord,
)
from app.ai.openai_compatible import (
    PROMPT_VERSION_HEADER,
    TEXT_LIMIT,
    OpenAIEngine,
    OpenAIEngineError,
    build_payload,
    engagement_rate,
    payload_json,
    select_posts,
)
from app.ai.prompts import default_prompts, resolve_prompts
from tests.ai.fake_openai import FakeOpenAI, FakeReply, FakeRequest, FakeTimeout, question_of


class Item(BaseModel):
    label: str
    share: float = Field(ge=0, le=1)
    evidence: list[str] = Field(default_factory=list)


class Mini(BaseModel):
    """Stand-in result model (the real ones live in app/analyses/results.py)."""

    summary: str
    items: list[Item]


VALID = json.dumps({"summary": "ok", "items": [{"label": "joy", "share": 0.5, "evidence": ["p1"]}]})
OUT_OF_RANGE = json.dumps({"summary": "ok", "items": [{"label": "joy", "share": 7}]})
NOW = datetime(2025, 3, 31, 12, tzinfo=UTC)


def post(i: int, *, own: bool = False, **extra: Any) -> PostRecord:
    fields: dict[str, Any] = {
        "id": f"p{i}",
        "platform": ("instagram", "x", "tiktok")[i % 3],
        "account_handle": "acme",
        "author_handle": "acme" if own else f"user{i % 9}",
        "author_followers": 1000 + i,
        "text": f"post {i} #acme " + "palabra " * (i % 60),
        "published_at": NOW - timedelta(hours=i * 3),
        "likes": (i * 37) % 101,
        "comments": i % 7,
        "shares": i % 3,
        "views": i * 10,
        "reach": i * 5,
        "content_type": "text",
        "hashtags": ("acme", "#Promo") if i % 2 else ("acme",),
        "mentions": ("@acme",) if not own else (),
        "is_own": own,
    }
    fields.update(extra)
    return PostRecord(**fields)


def make_input(
    *, language: str = "es", n: int = 30, previous: dict[str, Any] | None = None
) -> AnalysisInput:
    return AnalysisInput(
        client=ClientProfile(
            name="Acme",
            industry="retail",
            country="ES",
            language="es",
            competitors=("rival",),
            handles=("acme",),
        ),
        posts=[post(i, own=i % 4 == 0) for i in range(n)],
        window_start=NOW - timedelta(days=30),
        window_end=NOW,
        tenant_language=language,
        timezone="Europe/Madrid",
        previous=previous or {},
    )


def engine(
    fake: FakeOpenAI, *, max_retries: int = 0, timeout: float = 5.0, **kw: Any
) -> OpenAIEngine:
    kw.setdefault("prompts", default_prompts())
    return OpenAIEngine(
        client=fake.client(timeout=timeout, max_retries=max_retries), model="gpt-test", **kw
    )


def test_implements_protocol() -> None:
    eng: AnalysisEngine = engine(FakeOpenAI([VALID]))
    assert eng.name == "openai"


# (a) valid output


async def test_valid_output_validates_and_records_usage_and_model() -> None:
    fake = FakeOpenAI([VALID], prompt_tokens=321, completion_tokens=45)
    out = await engine(fake).run("q1", make_input(), Mini)
    assert isinstance(out.result, Mini)
    assert out.result.items[0].label == "joy"
    assert out.model == "fake-model-2025"  # the model the response names
    assert out.prompt_version == "q1.v1"
    assert out.usage.as_dict() == {"prompt_tokens": 321, "completion_tokens": 45, "calls": 1}
    assert fake.calls == 1
    req = fake.requests[0]
    assert req.method == "POST"
    assert req.path == "/v1/chat/completions"
    assert req.body["model"] == "gpt-test"
    assert req.body["temperature"] == 0.2
    assert [m["role"] for m in req.messages] == ["system", "user"]


async def test_model_falls_back_to_configured_name() -> None:
    fake = FakeOpenAI([VALID], model="")
    out = await engine(fake).run("q3", make_input(), Mini)
    assert out.model == "gpt-test"


async def test_temperature_none_is_not_sent() -> None:
    fake = FakeOpenAI([VALID])
    await engine(fake, temperature=None).run("q3", make_input(), Mini)
    assert "temperature" not in fake.requests[0].body


async def test_code_fenced_json_is_accepted_without_repair() -> None:
    fake = FakeOpenAI([f"```json\n{VALID}\n```"])
    out = await engine(fake).run("q2", make_input(), Mini)
    assert isinstance(out.result, Mini)
    assert fake.calls == 1


# (b) repair


async def test_invalid_json_then_repaired() -> None:
    fake = FakeOpenAI(['{"summary": "ok", "items": [', VALID])
    out = await engine(fake).run("q7", make_input(), Mini)
    assert isinstance(out.result, Mini)
    assert fake.calls == 2
    assert out.usage.as_dict() == {"prompt_tokens": 200, "completion_tokens": 40, "calls": 2}
    second = fake.requests[1].messages
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert second[2]["content"] == '{"summary": "ok", "items": ['
    repair = second[3]["content"]
    assert "not valid JSON" in repair
    assert "Invalid JSON" in repair  # pydantic's own error text is quoted
    assert "corrected JSON object only" in repair
    # The repair keeps the same structured-output request.
    assert fake.requests[1].schema == Mini.model_json_schema()


async def test_schema_error_then_repaired_quotes_the_validation_error() -> None:
    fake = FakeOpenAI([OUT_OF_RANGE, VALID])
    out = await engine(fake).run("q7", make_input(), Mini)
    assert isinstance(out.result, Mini)
    repair = fake.requests[1].messages[3]["content"]
    assert "does not match the required JSON schema" in repair
    assert "items.0.share: Input should be less than or equal to 1" in repair


# (c) invalid twice


async def test_invalid_json_twice_fails_after_two_calls() -> None:
    fake = FakeOpenAI(["not json at all", "still { not json"])
    with pytest.raises(AnalysisEngineError, match="invalid JSON twice") as info:
        await engine(fake).run("q1", make_input(), Mini)
    assert fake.calls == 2
    assert isinstance(info.value, OpenAIEngineError)
    assert info.value.usage.calls == 2
    assert info.value.usage.prompt_tokens == 200


async def test_schema_mismatch_twice_fails_with_the_errors() -> None:
    fake = FakeOpenAI([OUT_OF_RANGE, json.dumps({"summary": "x"})])
    with pytest.raises(AnalysisEngineError, match=r"did not validate as the q4 result.*items"):
        await engine(fake).run("q4", make_input(), Mini)
    assert fake.calls == 2


async def test_truncated_answer_is_reported() -> None:
    cut = FakeReply(content='{"summary": "o', finish_reason="length")
    fake = FakeOpenAI([cut, cut])
    with pytest.raises(AnalysisEngineError, match="output token limit"):
        await engine(fake).run("q1", make_input(), Mini)


async def test_refusal_fails_without_repair() -> None:
    fake = FakeOpenAI([FakeReply(content=None, refusal="I can't help with that")])
    with pytest.raises(AnalysisEngineError, match="refused"):
        await engine(fake).run("q1", make_input(), Mini)
    assert fake.calls == 1


# (d) retries belong to the SDK


async def test_429_then_success_is_retried_by_the_sdk() -> None:
    limited = FakeReply(status=429, headers={"retry-after-ms": "1"})
    fake = FakeOpenAI([limited, VALID])
    started = time.monotonic()
    out = await engine(fake, max_retries=2).run("q5", make_input(), Mini)
    assert isinstance(out.result, Mini)
    assert fake.calls == 2
    assert out.usage.calls == 1  # one completed call; the 429 cost nothing
    assert time.monotonic() - started < 2


async def test_5xx_after_retries_becomes_engine_error_with_status() -> None:
    fake = FakeOpenAI([FakeReply(status=503, headers={"retry-after-ms": "1"})])
    with pytest.raises(AnalysisEngineError, match="HTTP 503"):
        await engine(fake, max_retries=1).run("q5", make_input(), Mini)
    assert fake.calls == 2  # first attempt + one retry


async def test_4xx_is_not_retried_and_quotes_the_api_message() -> None:
    bad = FakeReply(status=400, body={"error": {"message": "response_format not supported"}})
    fake = FakeOpenAI([bad])
    with pytest.raises(AnalysisEngineError, match=r"HTTP 400.*response_format not supported"):
        await engine(fake, max_retries=3).run("q5", make_input(), Mini)
    assert fake.calls == 1


# (e) timeouts


async def test_transport_timeout_becomes_engine_error() -> None:
    fake = FakeOpenAI([FakeTimeout()])
    with pytest.raises(AnalysisEngineError, match="timed out"):
        await engine(fake).run("q6", make_input(), Mini)
    assert fake.calls == 1


async def test_slow_server_hits_the_client_timeout() -> None:
    fake = FakeOpenAI([VALID], delay=1.0)
    started = time.monotonic()
    with pytest.raises(AnalysisEngineError, match=r"timed out \(after 0.05 s"):
        await engine(fake, timeout=0.05).run("q6", make_input(), Mini)
    assert time.monotonic() - started < 0.9


# (f) schema and prompt version on every request


async def test_every_request_carries_schema_and_prompt_version() -> None:
    fake = FakeOpenAI(["nope", VALID])
    out = await engine(fake).run("q3", make_input(), Mini)
    assert fake.calls == 2
    for req in fake.requests:
        fmt = req.body["response_format"]
        assert fmt["type"] == "json_schema"
        assert fmt["json_schema"]["name"] == "pixely_q3"
        assert fmt["json_schema"]["strict"] is False
        assert req.schema == Mini.model_json_schema()
        assert req.headers[PROMPT_VERSION_HEADER.lower()] == "q3.v1"
        assert question_of(req) == "q3"
    assert out.prompt_version == "q3.v1"


async def test_tenant_override_is_used_and_its_version_recorded() -> None:
    prompts = resolve_prompts(
        {
            "q3": {
                "version": "tenant-acme.q3.v2",
                "system": "{rules}\nACME HOUSE STYLE: topics for {question}. Language: {language}.",
            }
        }
    )
    fake = FakeOpenAI([VALID])
    out = await engine(fake, prompts=prompts).run("q3", make_input(), Mini)
    assert out.prompt_version == "tenant-acme.q3.v2"
    req = fake.requests[0]
    assert req.headers[PROMPT_VERSION_HEADER.lower()] == "tenant-acme.q3.v2"
    assert "ACME HOUSE STYLE: topics for q3." in req.messages[0]["content"]
    assert '"question":"q3"' in req.messages[1]["content"]  # default user template kept


# (g) the tenant's language


async def test_tenant_language_changes_the_instruction() -> None:
    fake = FakeOpenAI([VALID])
    await engine(fake).run("q10", make_input(language="en"), Mini)
    await engine(fake).run("q10", make_input(language="es"), Mini)
    en, es = (r.messages[0]["content"] for r in fake.requests)
    assert "human-readable text of the answer" in en
    assert "in English." in en
    assert "Spanish (español)" not in en
    assert "in Spanish (español)." in es
    assert "in English." not in es


async def test_repair_message_keeps_the_language() -> None:
    fake = FakeOpenAI(["nope", VALID])
    await engine(fake).run("q1", make_input(language="es"), Mini)
    assert "in Spanish (español)" in fake.requests[1].messages[3]["content"]


async def test_unsupported_language_or_question_is_an_engine_error() -> None:
    fake = FakeOpenAI([VALID])
    with pytest.raises(AnalysisEngineError, match="unsupported tenant language"):
        await engine(fake).run("q1", make_input(language="fr"), Mini)
    with pytest.raises(AnalysisEngineError, match="unknown question"):
        await engine(fake).run("q11", make_input(), Mini)
    assert fake.calls == 0


# Concurrency: what the fake's delay is for.


async def test_ten_questions_run_concurrently() -> None:
    def answer(request: FakeRequest) -> str:
        q = question_of(request)
        return json.dumps({"summary": f"answer {q}", "items": []})

    fake = FakeOpenAI([answer], delay=0.2)
    eng = engine(fake)
    data = make_input()
    started = time.monotonic()
    results = await asyncio.gather(*(eng.run(q, data, Mini) for q in QUESTION_KEYS))
    assert time.monotonic() - started < 1.5  # ten calls of 0.2 s each, overlapped
    assert fake.max_concurrent == 10
    assert [r.result.summary for r in results] == [f"answer {q}" for q in QUESTION_KEYS]  # type: ignore[attr-defined]


# The payload


async def test_user_message_holds_the_compact_payload() -> None:
    fake = FakeOpenAI([VALID])
    await engine(fake, max_posts=5).run("q7", make_input(n=40), Mini)
    user = fake.requests[0].messages[1]["content"]
    payload = json.loads(user[user.index("{") :])
    assert payload["question"] == "q7"
    assert payload["totals"]["posts"] == 40
    assert len(payload["posts"]) == 5
    assert ", " not in user[user.index("{") : user.index("{") + 200]  # compact separators


def test_payload_aggregates_cover_all_posts_and_sample_is_bounded() -> None:
    data = make_input(n=120)
    payload = build_payload("q3", data, max_posts=20)
    totals = payload["totals"]
    assert totals["posts"] == 120
    assert totals["own"] == 30
    assert totals["mentions"] == 90
    assert totals["engagement"] == sum(p.engagement for p in data.posts)
    assert totals["own_engagement"] + totals["mentions_engagement"] == totals["engagement"]
    rates = [engagement_rate(p) for p in data.posts]
    assert totals["mean_engagement_rate"] == round(sum(rates) / len(rates), 4)
    assert sum(row["posts"] for row in payload["by_platform"]) == 120
    assert payload["by_content_type"][0]["content_type"] == "text"
    assert payload["top_hashtags"][0] == {"hashtag": "#acme", "posts": 120}
    assert {"hashtag": "#promo", "posts": 60} in payload["top_hashtags"]
    assert payload["top_mentioned"] == []  # only the brand's own handle is mentioned
    assert payload["posts_mentioning_own_handles"] == 90
    assert payload["sample"] == {
        "posts_included": 20,
        "posts_total": 120,
        "selection": payload["sample"]["selection"],
    }
    posts = payload["posts"]
    assert len(posts) == 20
    assert any(p["own"] for p in posts)
    assert any(not p["own"] for p in posts)
    dates = [p["date"] for p in posts]
    assert dates == sorted(dates, reverse=True)  # newest first
    assert set(posts[0]) >= {
        "id",
        "platform",
        "author",
        "followers",
        "own",
        "date",
        "text",
        "engagement",
        "engagement_rate",
    }
    assert posts[0]["date"].endswith("+02:00")  # tenant's timezone (CEST at the end of March)
    for absent in ("previous_results", "activity", "enrichment", "influencers", "segments"):
        assert absent not in payload


def test_payload_truncates_long_texts() -> None:
    long = post(1, text="muy   largo\n" * 100)
    data = replace(make_input(n=1), posts=[long])
    entry = build_payload("q3", data)["posts"][0]
    assert len(entry["text"]) == TEXT_LIMIT
    assert entry["text"].endswith("…")
    assert "\n" not in entry["text"]
    assert "  " not in entry["text"]


def test_selection_mixes_engagement_and_recency() -> None:
    posts = [post(i) for i in range(100)]
    chosen = select_posts(posts, 10)
    ids = {p.id for p in chosen}
    top = sorted(posts, key=lambda p: p.engagement, reverse=True)[0]
    newest = max(posts, key=lambda p: p.published_at)
    assert top.id in ids
    assert newest.id in ids
    assert len(chosen) == 10
    assert select_posts(posts, 0) == []
    assert len(select_posts(posts[:3], 10)) == 3


def test_selection_keeps_a_minority_of_own_posts() -> None:
    posts = [post(i, own=i < 5) for i in range(200)]  # 5 own, 195 mentions
    chosen = select_posts(posts, 40)
    assert sum(p.is_own for p in chosen) == 5  # a quarter of the budget, capped by supply
    assert len(chosen) == 40


def test_q2_samples_own_posts_first() -> None:
    data = make_input(n=200)  # 50 own posts
    payload = build_payload("q2", data, max_posts=60)
    assert sum(p["own"] for p in payload["posts"]) == 50
    assert "own posts first" in payload["sample"]["selection"]


def enriched_input(n: int = 40, days: int = 30) -> AnalysisInput:
    posts = [
        post(
            i,
            own=i % 4 == 0,
            sentiment_label=("positive", "neutral", "negative")[i % 3],
            sentiment_score=(0.6, 0.0, -0.6)[i % 3],
            emotion_label=("joy", "neutral", "anger")[i % 3],
            emotion_scores={"joy": 0.7, "neutral": 0.5, "anger": 0.8},
            topics=("delivery",) if i % 2 else ("price", "delivery"),
            frames=("responsibility",) if i % 5 == 0 else (),
            language="es",
            mentions=("@acme", "@rival") if i % 2 else ("@acme",),
        )
        for i in range(n)
    ]
    base = make_input()
    return replace(base, posts=posts, window_start=NOW - timedelta(days=days))


def test_payload_includes_enrichment_when_present() -> None:
    payload = build_payload("q4", enriched_input(n=30))
    enrichment = payload["enrichment"]
    assert enrichment["posts_enriched"] == 30
    assert enrichment["sentiment"] == {"positive": 10, "neutral": 10, "negative": 10}
    assert enrichment["net_sentiment"] == 0.0
    assert {"emotion": "anger", "posts": 10, "share": 0.333} in enrichment["emotions"]
    topics = {row["topic"]: row for row in enrichment["topics"]}
    assert topics["delivery"]["posts"] == 30
    assert topics["price"]["share"] == 0.5
    frame = enrichment["frames"][0]
    assert frame["frame"] == "responsibility"
    assert frame["posts"] == 6
    assert frame["own"] == 2  # posts 0 and 20
    assert enrichment["posts_without_frame"] == 24
    entry = payload["posts"][0]
    assert entry["sentiment"] in {"negative", "neutral", "positive"}
    assert entry["emotion_score"] in {0.7, 0.5, 0.8}
    assert entry["lang"] == "es"
    assert payload["by_platform"][0]["sentiment"]  # per-platform sentiment counts


def test_q1_has_weekly_emotions() -> None:
    payload = build_payload("q1", enriched_input(n=60))
    weeks = payload["emotions_by_week"]
    assert sum(w["posts"] for w in weeks) == 60
    assert all(date.fromisoformat(w["week_start"]).weekday() == 0 for w in weeks)
    assert "emotions_by_week" not in build_payload("q1", make_input())  # nothing enriched


def test_q5_influencers_exclude_the_brand() -> None:
    payload = build_payload("q5", enriched_input(n=45))
    table = payload["influencers"]
    handles = [row["handle"] for row in table["authors"]]
    assert "acme" not in handles
    assert table["posts_by_others"] == sum(row["posts"] for row in table["authors"])
    scores = [row["influence_score"] for row in table["authors"]]
    assert scores == sorted(scores, reverse=True)
    assert 0 < scores[0] <= 1
    assert all(row["brand_mention_posts"] == row["posts"] for row in table["authors"])
    assert table["mentioned_accounts"][0]["handle"] == "rival"  # the brand's own excluded


def test_q6_segments_follow_the_gap_score_definition() -> None:
    payload = build_payload("q6", enriched_input(n=90))
    segments = payload["segments"]
    assert segments["basis"] in {"own", "all"}
    for rows in segments["dimensions"].values():
        for row in rows:
            expected = max(0.0, row["lift"] - 1) * (1 - row["volume_share"])
            assert row["gap_score"] == pytest.approx(expected, abs=1e-3)
            assert row["posts"] >= 3
    assert {"content_type", "platform", "time_slot", "language", "topic"} <= set(
        segments["dimensions"]
    )


def test_q7_sentiment_series_is_daily_up_to_31_days() -> None:
    daily = build_payload("q7", enriched_input(n=60, days=20))["sentiment_over_time"]
    assert daily["granularity"] == "day"
    assert sum(r["posts"] for r in daily["series"]) == 60
    weekly = build_payload("q7", enriched_input(n=60, days=90))["sentiment_over_time"]
    assert weekly["granularity"] == "week"


def test_q7_spikes() -> None:
    base = enriched_input(n=30, days=30)
    # A burst of negative posts on one day.
    burst = [
        post(
            1000 + i,
            published_at=NOW - timedelta(days=10, minutes=i),
            sentiment_label="negative",
            sentiment_score=-0.9,
        )
        for i in range(15)
    ]
    payload = build_payload("q7", replace(base, posts=[*base.posts, *burst]))
    spikes = payload["sentiment_over_time"]["spikes"]
    assert spikes
    assert {s["kind"] for s in spikes} <= {"negative_share", "negative_volume"}
    assert all(s["z_score"] > 2 for s in spikes)


def test_q8_activity() -> None:
    data = make_input(n=50)
    activity = build_payload("q8", data)["activity"]
    assert activity["timezone"] == "Europe/Madrid"
    assert sum(c["posts"] for c in activity["cells"]) == 50
    assert sum(c["own_posts"] for c in activity["cells"]) == 13
    assert len(activity["by_weekday"]) == 7
    assert sum(h["posts"] for h in activity["by_hour"]) == 50
    weeks = activity["weekly"]
    assert len(weeks) >= 5  # every week of the 30-day window, empty ones included
    assert sum(w["posts"] for w in weeks) == 50
    assert activity["volume_trend"]["direction"] in {"rising", "falling", "stable"}


def test_q9_q10_carry_previous_results_and_fewer_posts() -> None:
    previous = {"q7": {"net_sentiment": -0.12}, "q1": {"dominant": "anger"}}
    data = make_input(n=120, previous=previous)
    for question in ("q9", "q10"):
        payload = build_payload(question, data, max_posts=200)
        assert payload["previous_results"] == {"q1": {"dominant": "anger"}, "q7": previous["q7"]}
        assert len(payload["posts"]) == 40
    assert "previous_results" not in build_payload("q8", data)


def test_payload_size_is_bounded() -> None:
    data = enriched_input(n=2000, days=365)
    for question in QUESTION_KEYS:
        text = payload_json(build_payload(question, data))
        assert len(text) < 160_000, question  # ~40k tokens at worst, 200 posts


# The real result models


async def test_with_the_real_q7_result_model() -> None:
    results = pytest.importorskip("app.analyses.results")
    model = results.RESULT_MODELS["q7"]
    example = model.model_config["json_schema_extra"]["examples"][0]
    fake = FakeOpenAI([json.dumps({"posts_analyzed": 1}), json.dumps(example)])
    out = await engine(fake).run("q7", make_input(), model)
    assert isinstance(out.result, model)
    assert fake.calls == 2  # the first answer misses required fields: repaired
    assert fake.requests[0].schema == model.model_json_schema()
    assert "positive_share" in fake.requests[1].messages[3]["content"]  # a missing field named


def test_prompts_name_the_payload_sections_they_rely_on() -> None:
    data = replace(enriched_input(n=60), previous={"q7": {"net_score": 0.1}})
    sections = {
        "q1": "emotions_by_week",
        "q5": "influencers",
        "q6": "segments",
        "q7": "sentiment_over_time",
        "q8": "activity",
        "q9": "previous_results",
        "q10": "previous_results",
    }
    prompts = default_prompts()
    for question, section in sections.items():
        assert section in build_payload(question, data), question
        assert section in prompts[question].system, question
