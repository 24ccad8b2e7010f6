"""The `openai` analysis engine against a fake OpenAI-compatible endpoint (real SDK, fake
HTTP), and the payload it sends (app/analyses/payload.py and each question's llm.py).

The structured-output client's own behaviour (repair, error mapping, usage, timeouts,
retries) is tested with a stand-in schema in tests/ai/test_llm.py; here every question
is a real one and the fake answers with its result model's example.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app.ai.llm import LLMError, StructuredClient
from app.ai.prompts import PromptSet
from app.analyses import payload
from app.analyses.engines import (
    PROMPT_VERSION_HEADER,
    QUESTION_HEADER,
    AnalysisEngine,
    AnalysisEngineError,
    EngineResult,
    OpenAIEngine,
)
from app.analyses.payload import TEXT_LIMIT, select_posts
from app.analyses.prompts import default_prompts, resolve_prompts
from app.analyses.question import Previous
from app.analyses.questions.q05_influencers.result import InfluencersResult, InfluencerStat
from app.analyses.records import PostRecord
from app.analyses.registry import BY_KEY, KEYS, QUESTIONS
from app.analyses.statistics import (
    engagement_rate,
    mean,
    min_sample,
    stance,
    week_start,
    weeks_between,
)
from app.analyses.window import Window
from app.clients.service import ClientProfile, CompetitorProfile
from tests.ai.fake_openai import FakeOpenAI, FakeReply, FakeRequest, question_of
from tests.analyses.builders import answer, previous_for, window_for
from tests.analyses.builders import post as make_post

NOW = datetime(2025, 3, 31, 12, tzinfo=UTC)
TZ = "Europe/Madrid"
ACME = ClientProfile(
    name="Acme",
    industry="retail",
    country="ES",
    language="es",
    competitors=(CompetitorProfile("rival"),),
    handles=("acme",),
)
# Topical texts, so the window's topic model finds topics.
TEXTS = (
    "El envío del pedido llegó tarde otra vez, la entrega fue lenta",
    "Los precios están muy caros, la tarifa sube cada mes",
    "La atención al cliente respondió rápido, buen servicio de soporte",
)
CONTENT_TYPES = ("text", "text", "text", "image", "image", "video", "reel")


def post(i: int, *, own: bool = False, **extra: Any) -> PostRecord:
    fields: dict[str, Any] = {
        "id": f"p{i}",
        "platform": ("instagram", "x", "tiktok")[i % 3],
        "account_handle": "acme",
        "author_handle": "acme" if own else f"user{i % 9}",
        "author_followers": 1000 + i,
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
    text = fields.pop("text", f"post {i} " + "palabra " * (i % 60))
    return make_post(text, **fields)


def plain_posts(n: int, **extra: Any) -> list[PostRecord]:
    """Posts without stored enrichment: one own post in four."""
    return [post(i, own=i % 4 == 0, **extra) for i in range(n)]


def enriched_posts(n: int, *, vary: bool = False, hours: int = 3) -> list[PostRecord]:
    """Posts with stored sentiment, emotion and frames (kept by the window's enrichment);
    `vary` spreads languages and content types, and makes the few reels engage well."""
    posts = []
    for i in range(n):
        kind = CONTENT_TYPES[(i // 4) % len(CONTENT_TYPES)] if vary else "text"
        posts.append(
            post(
                i,
                own=i % 4 == 0,
                text=f"{TEXTS[i % 3]} ({i})",
                published_at=NOW - timedelta(hours=i * hours),
                sentiment_label=("positive", "neutral", "negative")[i % 3],
                sentiment_score=(0.6, 0.0, -0.6)[i % 3],
                emotion_label=("joy", "neutral", "anger")[i % 3],
                emotion_scores={"joy": 0.7, "neutral": 0.5, "anger": 0.8},
                frames=("responsibility",) if i % 5 == 0 else (),
                language=("es", "en")[(i // 4) % 2] if vary else "es",
                content_type=kind,
                likes=400 if kind == "reel" else (i * 37) % 101,
                mentions=("@acme", "@rival") if i % 2 else ("@acme",),
            )
        )
    return posts


def acme_window(posts: list[PostRecord], *, lang: str = "es", days: int = 30) -> Window:
    return window_for(posts, lang=lang, tz=TZ, days=days, client=ACME, end=NOW)


def build(key: str, window: Window, stored: dict[str, Any] | None = None, **kw: Any) -> Any:
    return payload.build(BY_KEY[key], window, previous_for(key, stored), **kw)


def example(key: str) -> dict[str, Any]:
    return dict(BY_KEY[key].result.model_config["json_schema_extra"]["examples"][0])


def examples(*keys: str) -> dict[str, Any]:
    return {k: example(k) for k in keys}


def engine(
    fake: FakeOpenAI,
    *,
    max_retries: int = 0,
    timeout: float = 5.0,
    prompts: PromptSet | None = None,
    max_posts: int = 200,
) -> OpenAIEngine:
    client = StructuredClient(
        client=fake.client(timeout=timeout, max_retries=max_retries), model="gpt-test"
    )
    return OpenAIEngine(client=client, prompts=prompts or default_prompts(), max_posts=max_posts)


async def run(eng: OpenAIEngine, key: str, window: Window) -> EngineResult:
    return await eng.run(BY_KEY[key], window, previous_for(key))


def sent_payload(request: FakeRequest) -> dict[str, Any]:
    user = request.messages[1]["content"]
    return dict(json.loads(user[user.index("{") :]))


@pytest.fixture(scope="module")
def window() -> Window:
    return acme_window(plain_posts(30))


# --- the engine ------------------------------------------------------------------------------


def test_implements_protocol() -> None:
    eng: AnalysisEngine = engine(FakeOpenAI([json.dumps(example("q1"))]))
    assert eng.name == "openai"
    assert isinstance(eng, OpenAIEngine)
    assert eng.model == "gpt-test"
    client = StructuredClient(client=FakeOpenAI().client(), model="m")
    with pytest.raises(ValueError, match="max_posts must be >= 0"):
        OpenAIEngine(client=client, prompts=default_prompts(), max_posts=-1)


@pytest.mark.parametrize("key", KEYS)
async def test_answers_with_the_questions_result_model(key: str, window: Window) -> None:
    question = BY_KEY[key]
    fake = FakeOpenAI([json.dumps(example(key))], prompt_tokens=321, completion_tokens=45)
    out = await run(engine(fake), key, window)
    assert isinstance(out.result, question.result)
    assert out.result == question.result.model_validate(example(key))
    assert out.model == "fake-model-2025"  # the model the response names
    prompt = default_prompts()[key]
    assert out.prompt_version == prompt.version
    assert out.usage.as_dict() == {"prompt_tokens": 321, "completion_tokens": 45, "calls": 1}
    assert fake.calls == 1
    req = fake.requests[0]
    assert req.body["model"] == "gpt-test"
    fmt = req.body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == f"pixely_{key}"
    assert fmt["json_schema"]["strict"] is False
    assert req.schema == question.result.model_json_schema()
    assert req.headers[PROMPT_VERSION_HEADER.lower()] == prompt.version
    assert req.headers[QUESTION_HEADER.lower()] == key == question_of(req)
    body = build(key, window)
    assert req.messages == [
        {"role": role, "content": text}
        for role, text in zip(
            ("system", "user"),
            prompt.render(payload=payload.to_json(body), language="es"),
            strict=True,
        )
    ]


async def test_every_request_carries_schema_and_prompt_version(window: Window) -> None:
    fake = FakeOpenAI(["nope", json.dumps(example("q3"))])
    out = await run(engine(fake), "q3", window)
    assert fake.calls == 2  # the repair call too
    for req in fake.requests:
        assert req.body["response_format"]["json_schema"]["name"] == "pixely_q3"
        assert req.schema == BY_KEY["q3"].result.model_json_schema()
        assert req.headers[PROMPT_VERSION_HEADER.lower()] == "q3.v1"
        assert question_of(req) == "q3"
    assert out.prompt_version == "q3.v1"
    assert out.usage.calls == 2


async def test_with_the_real_q7_result_model(window: Window) -> None:
    model = BY_KEY["q7"].result
    fake = FakeOpenAI([json.dumps({"posts_analyzed": 1}), json.dumps(example("q7"))])
    out = await run(engine(fake), "q7", window)
    assert isinstance(out.result, model)
    assert fake.calls == 2  # the first answer misses required fields: repaired
    assert fake.requests[0].schema == model.model_json_schema()
    assert "positive_share" in fake.requests[1].messages[3]["content"]  # a missing field named


async def test_a_failed_answer_is_an_engine_error_with_usage_and_model(window: Window) -> None:
    wrong = json.dumps({"posts_analyzed": -1})
    fake = FakeOpenAI([wrong, wrong])
    with pytest.raises(AnalysisEngineError, match="did not validate as the q4 result") as info:
        await run(engine(fake), "q4", window)
    assert fake.calls == 2
    assert isinstance(info.value.__cause__, LLMError)
    assert info.value.usage.as_dict() == {
        "prompt_tokens": 200,
        "completion_tokens": 40,
        "calls": 2,
    }
    assert info.value.model == "fake-model-2025"


async def test_an_api_failure_is_an_engine_error(window: Window) -> None:
    fake = FakeOpenAI([FakeReply(status=503, headers={"retry-after-ms": "1"})])
    with pytest.raises(AnalysisEngineError, match="HTTP 503") as info:
        await run(engine(fake, max_retries=1), "q5", window)
    assert fake.calls == 2  # the SDK retried once
    assert info.value.usage.calls == 0
    assert info.value.model == "gpt-test"


async def test_tenant_override_is_used_and_its_version_recorded(window: Window) -> None:
    prompts = resolve_prompts(
        {
            "q3": {
                "version": "tenant-acme.q3.v2",
                "system": "{rules}\nACME HOUSE STYLE: topics for {question}. Language: {language}.",
            }
        }
    )
    fake = FakeOpenAI([json.dumps(example("q3"))])
    out = await run(engine(fake, prompts=prompts), "q3", window)
    assert out.prompt_version == "tenant-acme.q3.v2"
    req = fake.requests[0]
    assert req.headers[PROMPT_VERSION_HEADER.lower()] == "tenant-acme.q3.v2"
    assert "ACME HOUSE STYLE: topics for q3." in req.messages[0]["content"]
    assert "Never invent posts" in req.messages[0]["content"]
    assert '"question":"q3"' in req.messages[1]["content"]  # default user template kept


async def test_tenant_language_changes_the_instruction() -> None:
    fake = FakeOpenAI([json.dumps(example("q10"))])
    posts = plain_posts(12)
    for lang in ("en", "es", "fr"):
        await run(engine(fake), "q10", acme_window(posts, lang=lang))
    en, es, fr = (r.messages[0]["content"] for r in fake.requests)
    assert "human-readable text of the answer" in en
    assert "in English." in en
    assert "Spanish (español)" not in en
    assert "in Spanish (español)." in es
    assert "in English." not in es
    assert fr == en  # the window reads any language but Spanish as English


async def test_repair_message_keeps_the_language(window: Window) -> None:
    fake = FakeOpenAI(["nope", json.dumps(example("q1"))])
    await run(engine(fake), "q1", window)
    assert window.lang == "es"
    assert "in Spanish (español)" in fake.requests[1].messages[3]["content"]


async def test_unsupported_language_is_an_engine_error(window: Window) -> None:
    # Window.build never makes one; a window built another way must still fail cleanly.
    fake = FakeOpenAI([json.dumps(example("q1"))])
    odd = replace(window, lang="fr")  # type: ignore[arg-type]
    with pytest.raises(AnalysisEngineError, match="unsupported tenant language 'fr'"):
        await engine(fake).run(BY_KEY["q1"], odd, Previous())
    assert fake.calls == 0


async def test_ten_questions_run_concurrently(window: Window) -> None:
    def reply(request: FakeRequest) -> str:
        key = question_of(request)
        assert key is not None
        assert request.schema == BY_KEY[key].result.model_json_schema()
        return json.dumps(example(key))

    fake = FakeOpenAI([reply], delay=0.2)
    eng = engine(fake)
    started = time.monotonic()
    results = await asyncio.gather(*(run(eng, q.key, window) for q in QUESTIONS))
    assert time.monotonic() - started < 1.5  # ten calls of 0.2 s each, overlapped
    assert fake.max_concurrent == len(QUESTIONS)
    for question, out in zip(QUESTIONS, results, strict=True):
        assert out.result == question.result.model_validate(example(question.key))


async def test_user_message_holds_the_compact_payload() -> None:
    fake = FakeOpenAI([json.dumps(example("q7"))])
    await run(engine(fake, max_posts=5), "q7", acme_window(plain_posts(40)))
    user = fake.requests[0].messages[1]["content"]
    sent = sent_payload(fake.requests[0])
    assert sent["question"] == "q7"
    assert sent["totals"]["posts"] == 40
    assert len(sent["posts"]) == 5
    assert ", " not in user[user.index("{") : user.index("{") + 200]  # compact separators


# --- the payload: common sections ------------------------------------------------------------


def test_payload_aggregates_cover_all_posts_and_sample_is_bounded() -> None:
    window = acme_window(plain_posts(120))
    body = build("q3", window, max_posts=20)
    totals = body["totals"]
    assert totals["posts"] == 120
    assert totals["own"] == 30
    assert totals["mentions"] == 90
    assert totals["engagement"] == sum(p.engagement for p in window.posts)
    assert totals["own_engagement"] + totals["mentions_engagement"] == totals["engagement"]
    assert totals["likes"] == sum(p.likes for p in window.posts)
    rates = [engagement_rate(p) for p in window.posts]
    assert totals["mean_engagement_rate"] == round(sum(rates) / len(rates), 4)
    assert sum(totals["sentiment"].values()) == 120
    shares = [totals[f"{s}_share"] for s in ("positive", "neutral", "negative")]
    assert round(sum(shares), 4) == 1.0
    assert totals["net_sentiment"] == round(shares[0] - shares[2], 4)
    assert sum(row["posts"] for row in body["by_platform"]) == 120
    assert body["by_content_type"][0]["content_type"] == "text"
    assert body["top_hashtags"][0] == {"hashtag": "#acme", "posts": 120}
    assert {"hashtag": "#promo", "posts": 60} in body["top_hashtags"]
    assert body["top_mentioned"] == []  # only the brand's own handle is mentioned
    assert body["posts_naming_the_brand"] == 120  # every post carries #acme
    assert body["sample"] == {
        "posts_included": 20,
        "posts_total": 120,
        "selection": body["sample"]["selection"],
    }
    posts = body["posts"]
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
    assert "enrichment" in body  # every window is enriched
    for absent in (
        "previous_results",
        "activity",
        "influencers",
        "segments",
        "sentiment_over_time",
        "emotions_by_week",
    ):
        assert absent not in body


def test_payload_describes_the_client_and_the_window(window: Window) -> None:
    body = build("q2", window)
    assert body["question"] == "q2"
    assert body["client"] == {
        "name": "Acme",
        "industry": "retail",
        "country": "ES",
        "language": "es",
        "own_handles": ["acme"],
        "aliases": [],
        "competitors": ["rival"],
    }
    assert body["window"] == {
        "start": "2025-03-01",
        "end": "2025-03-31",
        "days": 30,
        "timezone": TZ,
    }


def test_posts_naming_the_brand_follow_the_brand_matcher() -> None:
    posts = [
        post(1, mentions=("@ACME",), hashtags=()),  # the client's handle, any case
        post(2, mentions=(), hashtags=("#Acme",)),  # as a hashtag
        post(3, mentions=(), hashtags=(), text="Compré en ÁCME ayer"),  # the name, folded
        post(4, mentions=(), hashtags=(), account_handle="acme_es", text="hola"),
        post(5, mentions=("@acme_es",), hashtags=()),  # an account of the window
        post(6, own=True, author_handle="acme_ceo", hashtags=(), text="Buenos días"),
        post(7, mentions=("@acme_ceo", "@rival"), hashtags=()),  # an own post's author
        post(8, mentions=("@rival",), hashtags=(), text="nada que ver"),
    ]
    body = build("q3", acme_window(posts))
    # 4 and 6 are the brand's own posts but do not name it; 8 names someone else.
    assert body["posts_naming_the_brand"] == 5
    # The brand's handles are never "mentioned accounts".
    assert body["top_mentioned"] == [{"handle": "@rival", "posts": 2}]


def test_payload_truncates_long_texts() -> None:
    long = post(1, text="muy   largo\n" * 100)
    entry = build("q3", acme_window([long]))["posts"][0]
    assert len(entry["text"]) == TEXT_LIMIT
    assert entry["text"].endswith("…")
    assert "\n" not in entry["text"]
    assert "  " not in entry["text"]


def test_selection_mixes_engagement_and_recency() -> None:
    posts = plain_posts(100, is_own=False)
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
    window = acme_window(plain_posts(200))  # 50 own posts
    body = build("q2", window, max_posts=60)
    assert sum(p["own"] for p in body["posts"]) == 50
    assert "own posts first" in body["sample"]["selection"]
    other = build("q3", window, max_posts=60)  # in proportion: 60 x 50 / 200
    assert sum(p["own"] for p in other["posts"]) == 15
    assert "in proportion" in other["sample"]["selection"]


def test_payload_includes_the_windows_enrichment() -> None:
    window = acme_window(enriched_posts(30))
    body = build("q4", window)
    enrichment = body["enrichment"]
    assert enrichment["posts_enriched"] == 30
    # Stored sentiment and emotions are kept by the window's enrichment.
    assert enrichment["sentiment"] == {"positive": 10, "neutral": 10, "negative": 10}
    shares = [enrichment[f"{s}_share"] for s in ("positive", "neutral", "negative")]
    assert round(sum(shares), 4) == 1.0  # 4 decimals, largest remainder
    assert all(abs(s - 1 / 3) <= 1e-4 for s in shares)
    assert enrichment["net_sentiment"] == round(shares[0] - shares[2], 4)
    assert {"emotion": "anger", "posts": 10, "share": 0.3333} in enrichment["emotions"]
    # Topics come from the window's topic model (stored topics are recomputed).
    topics = enrichment["topics"]
    assert topics
    counts = Counter(t for p in window.posts for t in p.topics)
    for row in topics:
        assert row["posts"] == counts[row["topic"]]
        assert row["share"] == round(row["posts"] / 30, 4)
    assert [r["posts"] for r in topics] == sorted((r["posts"] for r in topics), reverse=True)
    assert {r["topic"] for r in topics} == {t.label for t in window.topics.topics}
    # Stored frames are kept; the table counts the posts of each frame.
    by_id = {p.id: p for p in window.posts}
    assert all("responsibility" in by_id[f"p{i}"].frames for i in range(0, 30, 5))
    frames = {row["frame"]: row for row in enrichment["frames"]}
    for name, row in frames.items():
        with_frame = [p for p in window.posts if name in p.frames]
        assert row["posts"] == len(with_frame)
        assert row["own"] == sum(p.is_own for p in with_frame)
    assert frames["responsibility"]["posts"] >= 6
    assert enrichment["posts_without_frame"] == sum(1 for p in window.posts if not p.frames)
    entry = body["posts"][0]
    assert entry["sentiment"] in {"negative", "neutral", "positive"}
    assert entry["emotion_score"] in {0.7, 0.5, 0.8}
    assert entry["lang"] == "es"
    assert body["by_platform"][0]["sentiment"]  # per-platform sentiment counts


@pytest.mark.parametrize("key", KEYS)
def test_every_question_has_a_payload_on_an_empty_window(key: str) -> None:
    body = build(key, acme_window([]))
    assert body["question"] == key
    assert body["totals"]["posts"] == 0
    assert body["posts"] == []
    assert body["sample"]["posts_included"] == 0
    assert "enrichment" not in body
    assert "emotions_by_week" not in body
    assert "sentiment_over_time" not in body
    payload.to_json(body)


# --- the payload: each question's section ----------------------------------------------------


def test_q1_has_weekly_emotions() -> None:
    window = acme_window(enriched_posts(60))
    weeks = build("q1", window)["emotions_by_week"]
    assert sum(w["posts"] for w in weeks) == 60
    assert all(date.fromisoformat(w["week_start"]).weekday() == 0 for w in weeks)
    assert all(sum(w["emotions"].values()) == w["posts"] for w in weeks)
    assert [w["week_start"] for w in weeks] == sorted(w["week_start"] for w in weeks)


def test_q5_influencers_exclude_the_brand() -> None:
    window = acme_window(enriched_posts(45))
    table = build("q5", window)["influencers"]
    handles = [row["handle"] for row in table["authors"]]
    assert "acme" not in handles
    assert table["authors_total"] == len(handles) == 9
    assert table["posts_by_others"] == sum(row["posts"] for row in table["authors"])
    assert table["posts_by_others"] == sum(1 for p in window.posts if not p.is_own)
    scores = [row["influence_score"] for row in table["authors"]]
    assert scores == sorted(scores, reverse=True)
    assert 0 < scores[0] <= 1
    for row in table["authors"]:
        assert set(row) == set(InfluencerStat.model_fields)
        assert row["brand_mention_posts"] == row["posts"]  # every mention names @acme
        theirs = [p for p in window.posts if p.author_handle == row["handle"]]
        expected = stance(mean(p.sentiment_score or 0.0 for p in theirs))
        assert row["stance"] == expected
    # The same rows as the local engine's answer (which keeps fewer).
    local = answer("q5", window)
    assert isinstance(local, InfluencersResult)
    assert local.authors
    assert table["authors"][: len(local.authors)] == [
        a.model_dump(mode="json") for a in local.authors
    ]
    assert table["mentioned_accounts"][0]["handle"] == "rival"  # the brand's own excluded


def test_q6_segments_follow_the_gap_score_definition() -> None:
    window = acme_window(enriched_posts(200, vary=True))
    segments = build("q6", window)["segments"]
    own = [i for i, p in enumerate(window.posts) if p.is_own]
    n_own = len(own)
    assert segments["basis"] == "own"  # 50 own posts: enough to compare the brand's own
    assert segments["posts_compared"] == n_own == 50
    baseline = round(mean(window.rates[i] for i in own), 4)
    assert segments["baseline_engagement_rate"] == baseline
    dimensions = segments["dimensions"]
    assert {"content_type", "platform", "time_slot", "language", "topic"} <= set(dimensions)
    for name, table in dimensions.items():
        rows = table["segments"]
        assert 0 < len(rows) <= 10
        gaps = [row["gap_score"] for row in rows]
        assert gaps == sorted(gaps, reverse=True)
        for row in rows:
            expected = max(0.0, row["lift"] - 1) * (1 - row["volume_share"])
            assert row["gap_score"] == pytest.approx(expected, abs=1e-3)
            assert 0 < row["volume_share"] <= 1
            if row["qualifies"]:
                assert row["posts"] >= table["min_segment_posts"]
                assert row["lift"] >= 1.1 - 1e-4
        if name != "topic":  # over the own posts, every one of which has a segment
            assert table["baseline_engagement_rate"] == baseline
            assert table["min_segment_posts"] == min_sample(n_own)
    for name in ("content_type", "platform", "language"):  # fewer than 10 segments: all
        rows = dimensions[name]["segments"]
        assert sum(row["posts"] for row in rows) == n_own
        for row in rows:
            assert row["volume_share"] == round(row["posts"] / n_own, 4)
            if row["qualifies"]:
                assert row["volume_share"] < 1 / len(rows)
    assert {r["segment"] for r in dimensions["language"]["segments"]} == {"español", "inglés"}
    # The few (7), very engaging reels are too few to be an opportunity...
    reel = next(r for r in dimensions["content_type"]["segments"] if r["segment"] == "reel")
    assert reel["posts"] < dimensions["content_type"]["min_segment_posts"]
    assert not reel["qualifies"]
    # ... 30 of them are the content type's opportunity, with a lift that holds up.
    more = build("q6", acme_window(enriched_posts(840, vary=True, hours=1)))["segments"]
    rows = more["dimensions"]["content_type"]["segments"]
    assert [r["segment"] for r in rows if r["qualifies"]] == ["reel"]
    assert rows[0]["segment"] == "reel"
    assert rows[0]["posts"] == 30
    assert rows[0]["lift_low"] > 1
    few = build("q6", acme_window(enriched_posts(40)))["segments"]  # 10 own posts
    assert few["basis"] == "all"
    assert few["posts_compared"] == 40


def test_q7_sentiment_series_is_daily_up_to_31_days() -> None:
    daily = build("q7", acme_window(enriched_posts(60), days=20))["sentiment_over_time"]
    assert daily["granularity"] == "day"
    assert sum(r["posts"] for r in daily["series"]) == 60
    for row in daily["series"]:
        assert row["positive"] + row["neutral"] + row["negative"] == row["posts"]
    starts = [r["period_start"] for r in daily["series"]]
    assert starts == sorted(starts)
    weekly = build("q7", acme_window(enriched_posts(60), days=90))["sentiment_over_time"]
    assert weekly["granularity"] == "week"
    assert all(date.fromisoformat(r["period_start"]).weekday() == 0 for r in weekly["series"])


def test_q7_spikes_are_the_windows() -> None:
    # A burst of negative posts on one day, ten days before the others.
    burst = [
        post(
            1000 + i,
            published_at=NOW - timedelta(days=10, minutes=i),
            sentiment_label="negative",
            sentiment_score=-0.9,
        )
        for i in range(30)
    ]
    window = acme_window([*enriched_posts(60, hours=8), *burst])
    spikes = build("q7", window)["sentiment_over_time"]["spikes"]
    assert spikes
    assert [(s["day"], s["kind"], s["z_score"]) for s in spikes] == [
        (s.day.isoformat(), s.kind, s.z_score) for s in window.spikes
    ]
    assert {s["kind"] for s in spikes} == {"negative_share"}
    assert all(s["z_score"] > 2 for s in spikes)
    burst_day = (NOW - timedelta(days=10)).astimezone(window.tz).date().isoformat()
    assert spikes[0]["day"] == burst_day
    assert spikes[0]["negative_posts"] >= 30


def test_q8_activity() -> None:
    # 50 posts 15 hours apart: about a month, so the weekly trend has enough weeks.
    window = acme_window(
        [post(i, own=i % 4 == 0, published_at=NOW - timedelta(hours=15 * i)) for i in range(50)]
    )
    activity = build("q8", window)["activity"]
    assert activity["timezone"] == TZ
    assert sum(c["posts"] for c in activity["cells"]) == 50
    assert sum(c["own_posts"] for c in activity["cells"]) == 13
    cells = Counter((t.weekday(), t.hour) for t in window.local)
    assert {(c["weekday"], c["hour"]): c["posts"] for c in activity["cells"]} == cells
    assert len(activity["by_weekday"]) == 7
    assert sum(d["posts"] for d in activity["by_weekday"]) == 50
    assert activity["by_weekday"][0]["name"] == "Monday"
    assert sum(h["posts"] for h in activity["by_hour"]) == 50
    weeks = activity["weekly"]
    local_dates = [t.date() for t in window.local]
    # Every week from the first post's to the last post's, empty ones included.
    assert [w["week_start"] for w in weeks] == [
        d.isoformat() for d in weeks_between(min(local_dates), max(local_dates))
    ]
    assert weeks[0]["week_start"] == week_start(min(local_dates)).isoformat()
    assert sum(w["posts"] for w in weeks) == 50
    trend = window.volume_trend
    assert trend is not None
    assert activity["volume_trend"] == {
        "slope_per_week": trend.slope_per_week,
        "relative_slope": trend.relative_slope,
        "direction": trend.direction,
    }
    assert activity["volume_trend"]["direction"] in {"rising", "falling", "stable"}


def test_q9_q10_carry_previous_results_and_fewer_posts() -> None:
    window = acme_window(plain_posts(120))
    stored = examples("q7", "q1")
    for key in ("q9", "q10"):
        body = build(key, window, stored, max_posts=200)
        assert body["previous_results"] == {"q1": stored["q1"], "q7": stored["q7"]}
        assert list(body["previous_results"]) == ["q1", "q7"]
        assert len(body["posts"]) == 40
        assert len(build(key, window, stored, max_posts=10)["posts"]) == 10
        # A stored result that no longer fits its model is not sent.
        assert build(key, window, {"q7": {"net_sentiment": -0.12}})["previous_results"] == {}
    assert "previous_results" not in build("q8", window, stored)


def test_payload_size_is_bounded() -> None:
    window = acme_window(enriched_posts(2000, vary=True), days=365)
    stored = examples(*(q.key for q in QUESTIONS if not q.depends_on))
    for question in QUESTIONS:
        body = build(question.key, window, stored)
        assert len(body["posts"]) <= 200
        text = payload.to_json(body)
        assert len(text) < 160_000, question.key  # ~40k tokens at worst, 200 posts


def test_prompts_name_the_payload_sections_they_rely_on() -> None:
    window = acme_window(enriched_posts(60))
    stored = examples("q7")
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
    for key, section in sections.items():
        assert section in build(key, window, stored), key
        assert section in prompts[key].system, key
