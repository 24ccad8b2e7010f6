"""Analyses through the API: every question on generated data with the local engine,
known small inputs, storage before return, reuse, failures, the openai engine against
a fake endpoint, insights, idempotency, post enrichment and text analysis."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analyses import loader
from app.analyses.models import AnalysisRun
from app.analyses.registry import BY_KEY, KEYS
from app.core.enums import Role
from app.demo.generator import DEMO_CLIENTS, generate_posts
from app.posts.models import Post
from tests.ai.fake_openai import BASE_URL, FakeOpenAI, FakeReply
from tests.factories import TenantWorld, assert_problem

WINDOW = {"since": "2026-01-01T00:00:00Z", "until": "2026-12-31T00:00:00Z"}


def _run_url(w: TenantWorld, question: str) -> str:
    return f"/api/v1/clients/{w.client.id}/analyses/{question}"


async def _add_posts(
    session: AsyncSession,
    w: TenantWorld,
    texts: list[tuple[str, int]],
    start: datetime | None = None,
) -> None:
    start = start or datetime(2026, 5, 4, 15, tzinfo=UTC)
    for i, (text, likes) in enumerate(texts):
        account = w.accounts[i % 2]
        session.add(
            Post(
                tenant_id=w.tenant.id,
                client_id=w.client.id,
                account_id=account.id,
                platform=account.platform,
                external_id=f"k-{i}",
                author_handle=f"author{i}",
                author_followers=100 + i,
                text=text,
                published_at=start + timedelta(hours=i),
                likes=likes,
                comments=1,
                shares=0,
                views=10 * likes,
                reach=5 * likes,
                content_type="text",
                hashtags=[],
                mentions=[],
                is_own=False,
            )
        )
    await session.flush()


async def _demo_posts(session: AsyncSession, w: TenantWorld, n: int = 400) -> None:
    spec = DEMO_CLIENTS[0]
    generated = generate_posts(spec, n_posts=n, end=datetime(2026, 9, 1, tzinfo=UTC), seed=3)
    by_platform = {a.platform: a for a in w.accounts}
    for p in generated:
        account = by_platform.get(p.platform, w.accounts[0])
        session.add(
            Post(
                tenant_id=w.tenant.id,
                client_id=w.client.id,
                account_id=account.id,
                platform=account.platform,
                external_id=f"{p.platform}-{p.external_id}",
                author_handle=p.author_handle,
                author_followers=p.author_followers,
                text=p.text,
                published_at=p.published_at,
                likes=p.likes,
                comments=p.comments,
                shares=p.shares,
                views=p.views,
                reach=p.reach,
                content_type=p.content_type,
                hashtags=p.hashtags,
                mentions=p.mentions,
                url=p.url,
                is_own=p.is_own,
            )
        )
    await session.flush()


@pytest.mark.parametrize("question", [f"q{i}" for i in range(1, 11)])
async def test_every_question_on_generated_data(
    question: str, client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    await _demo_posts(session, tenant_a)
    h = tenant_a.headers(Role.analyst)
    if question in ("q9", "q10"):
        for base in ("q1", "q3", "q7", "q8"):
            r = await client.post(_run_url(tenant_a, base), json=WINDOW, headers=h)
            assert r.status_code == 201, r.text
    r = await client.post(_run_url(tenant_a, question), json=WINDOW, headers=h)
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["status"] == "succeeded", run["error"]
    assert run["engine"] == "local"
    assert run["posts_analyzed"] >= 400
    BY_KEY[question].result.model_validate(run["result"])
    stored = (
        await session.execute(
            select(AnalysisRun.result).where(AnalysisRun.id == uuid.UUID(run["id"]))
        )
    ).scalar_one()
    assert stored == run["result"]  # stored as JSON before it was returned
    again = await client.get(f"/api/v1/analyses/{run['id']}", headers=tenant_a.headers())
    assert again.json()["result"] == run["result"]


async def test_known_sentiment_and_emotions(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    await _add_posts(
        session,
        tenant_a,
        [
            ("Me encanta este banco, excelente atención, ¡gracias! 😍", 10),
            ("Excelente servicio, muy feliz con la app nueva", 8),
            ("I love this brand, amazing and wonderful service!", 5),
            ("Pésimo servicio, estoy furioso, una vergüenza total 😡", 30),
        ],
        start=datetime(2026, 5, 1, tzinfo=UTC),
    )
    h = tenant_a.headers(Role.analyst)
    window = {"since": "2026-04-30T00:00:00Z", "until": "2026-05-02T00:00:00Z"}
    sentiment = (await client.post(_run_url(tenant_a, "sentiment"), json=window, headers=h)).json()
    assert sentiment["status"] == "succeeded", sentiment["error"]
    assert sentiment["posts_analyzed"] == 4
    result = sentiment["result"]
    text = json.dumps(result)
    assert "0.75" in text  # three of the four posts are positive
    assert "0.25" in text  # one is negative
    emotions = (await client.post(_run_url(tenant_a, "q1"), json=window, headers=h)).json()
    assert emotions["status"] == "succeeded"
    assert emotions["result"]["dominant_emotion"] == "joy"


async def test_reuse_force_and_history(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    await _demo_posts(session, tenant_a, 120)
    h = tenant_a.headers(Role.analyst)
    first = (await client.post(_run_url(tenant_a, "q7"), json=WINDOW, headers=h)).json()
    assert first["reused_from_id"] is None
    second = (await client.post(_run_url(tenant_a, "sentiment"), json=WINDOW, headers=h)).json()
    assert second["reused_from_id"] == first["id"]
    assert second["result"] == first["result"]
    forced = (
        await client.post(_run_url(tenant_a, "q7"), json={**WINDOW, "force": True}, headers=h)
    ).json()
    assert forced["reused_from_id"] is None
    other_window = (
        await client.post(_run_url(tenant_a, "q7"), headers=h, json={**WINDOW, "platforms": ["x"]})
    ).json()
    assert other_window["reused_from_id"] is None
    assert other_window["input_fingerprint"] != first["input_fingerprint"]
    history = (
        await client.get(
            f"/api/v1/clients/{tenant_a.client.id}/analyses",
            params={"question": "sentiment"},
            headers=h,
        )
    ).json()
    assert history["total"] == 4 + 1  # and the world's example run
    insights = (
        await client.get(f"/api/v1/clients/{tenant_a.client.id}/insights", headers=h)
    ).json()
    assert insights["items"]["q7"]["id"] == other_window["id"]
    assert "q1" in insights["missing"]


async def test_window_is_read_in_batches_and_versions_decide_reuse(
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant_a: TenantWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(loader, "READ_BATCH", 7)
    await _demo_posts(session, tenant_a, 40)
    h = tenant_a.headers(Role.analyst)
    first = (await client.post(_run_url(tenant_a, "q7"), json=WINDOW, headers=h)).json()
    assert first["status"] == "succeeded"
    in_window = await session.execute(
        select(func.count()).select_from(Post).where(Post.client_id == tenant_a.client.id)
    )
    assert first["posts_analyzed"] == first["result"]["posts_analyzed"] == in_window.scalar_one()
    post_id = (await session.execute(select(Post.id).limit(1))).scalar_one()
    edit = await client.patch(
        f"/api/v1/clients/{tenant_a.client.id}/posts/{post_id}",
        json={"likes": 4321},
        headers=h,
    )
    assert edit.status_code == 200
    again = (await client.post(_run_url(tenant_a, "q7"), json=WINDOW, headers=h)).json()
    assert again["reused_from_id"] is None  # a post changed: the stored result is stale
    assert again["input_fingerprint"] != first["input_fingerprint"]
    third = (await client.post(_run_url(tenant_a, "q7"), json=WINDOW, headers=h)).json()
    assert third["reused_from_id"] == again["id"]


async def test_window_over_the_post_limit_is_refused(
    app: Any, client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    await _add_posts(session, tenant_a, [("uno", 1), ("dos", 2), ("tres", 3), ("cuatro", 4)])
    runs_before = await _count(session, AnalysisRun)
    original = app.state.settings.analysis_max_posts
    app.state.settings.analysis_max_posts = 3
    try:
        r = await client.post(
            _run_url(tenant_a, "q1"), json=WINDOW, headers=tenant_a.headers(Role.analyst)
        )
    finally:
        app.state.settings.analysis_max_posts = original
    assert_problem(r, 422)
    assert "more than 3 posts" in r.json()["detail"]
    assert await _count(session, AnalysisRun) == runs_before
    enriched = await session.execute(
        select(func.count()).select_from(Post).where(Post.sentiment_label.is_not(None))
    )
    assert enriched.scalar_one() == 0


async def _count(session: AsyncSession, model: Any) -> int:
    return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_posts_are_enriched_and_filterable(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    await _add_posts(
        session,
        tenant_a,
        [
            ("Horrible, the worst service ever, I hate it", 1),
            ("Qué maravilla, me encanta todo, excelente", 2),
        ],
    )
    h = tenant_a.headers(Role.analyst)
    r = await client.post(_run_url(tenant_a, "q7"), json=WINDOW, headers=h)
    assert r.json()["status"] == "succeeded"
    posts = (
        await client.get(
            f"/api/v1/clients/{tenant_a.client.id}/posts",
            params={"sentiment": "negative", "since": "2026-05-01T00:00:00Z"},
            headers=h,
        )
    ).json()
    assert [p["text"][:8] for p in posts["items"]] == ["Horrible"]
    assert posts["items"][0]["emotion_label"] in ("anger", "disgust")
    assert posts["items"][0]["language"] == "en"
    count = await session.execute(
        select(func.count())
        .select_from(Post)
        .where(Post.client_id == tenant_a.client.id, Post.sentiment_label.is_not(None))
    )
    assert count.scalar_one() >= 2


async def test_unknown_question_and_bad_input(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    h = tenant_a.headers(Role.analyst)
    assert_problem(await client.post(_run_url(tenant_a, f"q{len(KEYS) + 1}"), headers=h), 404)
    bad = await client.post(
        _run_url(tenant_a, "q1"),
        headers=h,
        json={"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
    )
    assert_problem(bad, 422)
    foreign = await client.post(
        _run_url(tenant_a, "q1"), headers=h, json={"account_ids": [str(uuid.uuid4())]}
    )
    assert_problem(foreign, 422)
    no_key = await client.post(_run_url(tenant_a, "q1"), headers=h, json={"engine": "openai"})
    assert_problem(no_key, 422)


async def test_idempotency_key_replays(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    await _add_posts(session, tenant_a, [("Muy buen servicio", 3)])
    h = {**tenant_a.headers(Role.analyst), "Idempotency-Key": "run-1"}
    first = await client.post(_run_url(tenant_a, "q7"), json=WINDOW, headers=h)
    again = await client.post(_run_url(tenant_a, "q7"), json=WINDOW, headers=h)
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    other = await client.post(_run_url(tenant_a, "q7"), json={**WINDOW, "force": True}, headers=h)
    assert_problem(other, 409)


# --- the openai engine, against a fake OpenAI-compatible endpoint ----------------------


def _q7_answer(n: int) -> str:
    from app.analyses.registry import BY_KEY

    example = BY_KEY["q7"].result.model_config.get("json_schema_extra", {})["examples"][0]
    return json.dumps({**example, "posts_analyzed": n})


async def _use_fake(app: Any, fake: FakeOpenAI, session: AsyncSession, w: TenantWorld) -> None:
    app.state.http_client = fake.http_client()
    w.tenant.ai_settings = {
        "engine": "openai",
        "base_url": BASE_URL,
        "model": "fake-model",
        "api_key_encrypted": None,
    }
    settings = app.state.settings
    from app.core.crypto import encrypt

    w.tenant.ai_settings = {
        **w.tenant.ai_settings,
        "api_key_encrypted": encrypt(settings, "sk-test"),
    }
    await session.flush()


async def test_openai_engine_valid_and_stored(
    app: Any, client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    await _add_posts(session, tenant_a, [("Buen servicio", 2), ("Mal servicio", 1)])
    fake = FakeOpenAI([_q7_answer(2)])
    original = app.state.http_client
    await _use_fake(app, fake, session, tenant_a)
    try:
        r = await client.post(
            _run_url(tenant_a, "q7"), json=WINDOW, headers=tenant_a.headers(Role.analyst)
        )
    finally:
        app.state.http_client = original
    run = r.json()
    assert run["status"] == "succeeded", run["error"]
    assert run["engine"] == "openai"
    assert run["model"] == fake.model  # the model the endpoint says answered
    assert run["prompt_version"].startswith("q7.")
    assert run["usage"]["calls"] == 1
    sent = fake.requests[0]
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert sent.schema == BY_KEY["q7"].result.model_json_schema() or sent.schema


async def test_openai_invalid_twice_is_a_failed_run(
    app: Any, client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    await _add_posts(session, tenant_a, [("Buen servicio", 2)])
    fake = FakeOpenAI(["not json", '{"still": "wrong"}'])
    original = app.state.http_client
    await _use_fake(app, fake, session, tenant_a)
    try:
        r = await client.post(
            _run_url(tenant_a, "q7"), json=WINDOW, headers=tenant_a.headers(Role.analyst)
        )
    finally:
        app.state.http_client = original
    run = r.json()
    assert r.status_code == 201
    assert run["status"] == "failed"
    assert run["result"] is None
    assert run["error"]
    assert fake.calls == 2
    stored = (
        await session.execute(
            select(AnalysisRun.status, AnalysisRun.result).where(
                AnalysisRun.id == uuid.UUID(run["id"])
            )
        )
    ).one()
    assert stored == ("failed", None)


async def test_openai_server_error_fails_clearly(
    app: Any, client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    await _add_posts(session, tenant_a, [("Buen servicio", 2)])
    fake = FakeOpenAI([FakeReply(status=500)])
    original = app.state.http_client
    await _use_fake(app, fake, session, tenant_a)
    app.state.settings.openai_max_retries = 0
    try:
        r = await client.post(
            _run_url(tenant_a, "q7"), json=WINDOW, headers=tenant_a.headers(Role.analyst)
        )
    finally:
        app.state.http_client = original
        app.state.settings.openai_max_retries = 3
    assert r.json()["status"] == "failed"
    assert "500" in r.json()["error"]


# --- text analysis -----------------------------------------------------------------------


async def test_analyze_text(client: httpx.AsyncClient, tenant_a: TenantWorld) -> None:
    r = await client.post(
        "/api/v1/analyze/text",
        headers=tenant_a.headers(Role.viewer),
        json={"texts": ["Me encanta, excelente servicio 😍", "This is the worst, I am furious"]},
    )
    assert r.status_code == 200, r.text
    first, second = r.json()["items"]
    assert (first["language"], first["sentiment_label"]) == ("es", "positive")
    assert (second["language"], second["sentiment_label"]) == ("en", "negative")
    assert abs(sum(first["emotion_scores"].values()) - 1) < 1e-6
    too_many = await client.post(
        "/api/v1/analyze/text", headers=tenant_a.headers(), json={"texts": ["x"] * 1001}
    )
    assert_problem(too_many, 422)


async def test_analyze_text_bounds_the_work(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    r = await client.post(
        "/api/v1/analyze/text", headers=tenant_a.headers(), json={"texts": ["x" * 5000] * 41}
    )
    # A size limit (each text and the count are within the schema): 413, as for a body.
    body = assert_problem(r, 413)
    assert "at most 200000" in json.dumps(body)


# --- the tenant's own AI endpoint must be a public one ----------------------------------


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:8080/v1",
        "http://localhost/v1",
        "http://10.0.0.5/v1",
        "http://169.254.169.254/latest",  # cloud metadata
        "http://[::1]:11434/v1",
        "http://[::ffff:192.168.1.10]/v1",
        "http://100.64.0.1/v1",
        "http://no-such-host.invalid/v1",
    ],
)
async def test_a_non_public_ai_endpoint_is_refused(
    client: httpx.AsyncClient, tenant_a: TenantWorld, base_url: str
) -> None:
    r = await client.put(
        "/api/v1/tenant/ai-settings",
        headers=tenant_a.headers(Role.owner),
        json={"engine": "openai", "base_url": base_url, "api_key": "sk-x"},
    )
    body = assert_problem(r, 422)
    assert body["errors"][0]["loc"] == ["body", "base_url"]
    stored = await client.get("/api/v1/tenant/ai-settings", headers=tenant_a.headers(Role.owner))
    assert stored.json()["base_url"] != base_url  # nothing changed


async def test_public_and_allowed_ai_endpoints_are_accepted(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    for base_url in ("http://8.8.8.8/v1", BASE_URL):  # a public address; an allowed host
        r = await client.put(
            "/api/v1/tenant/ai-settings",
            headers=tenant_a.headers(Role.owner),
            json={"engine": "openai", "base_url": base_url, "api_key": "sk-x"},
        )
        assert r.status_code == 200, r.text


async def test_a_stored_non_public_endpoint_is_refused_at_run_time(
    app: Any, client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    """Settings saved before the check existed (or written behind the API) are checked
    again before a run calls out."""
    await _add_posts(session, tenant_a, [("Buen servicio", 2)])
    fake = FakeOpenAI([_q7_answer(1)])
    original = app.state.http_client
    await _use_fake(app, fake, session, tenant_a)
    tenant_a.tenant.ai_settings = {**tenant_a.tenant.ai_settings, "base_url": "http://127.0.0.1/v1"}
    await session.flush()
    try:
        r = await client.post(
            _run_url(tenant_a, "q7"), json=WINDOW, headers=tenant_a.headers(Role.analyst)
        )
    finally:
        app.state.http_client = original
    assert_problem(r, 422)
    assert fake.calls == 0
