"""Q3 topics: sizes in distinct texts, two distinct examples, notes in the tenant's
language, and Q3's counts equal to the posts list's
`?topic=` filter (through the API, on the real database)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.analyses.questions.q03_topics.result import TopicsResult
from app.core.enums import Role
from app.posts.models import Post
from tests.analyses.builders import answer, post, window_for
from tests.factories import TenantWorld

FRAUD = [
    "me clonaron la tarjeta de débito",
    "cargo no reconocido en mi tarjeta",
    "fraude con compras que no hice",
    "bloqueen la tarjeta por el fraude",
]
APP = [
    "la app no funciona desde ayer",
    "error al iniciar sesión en la app",
    "la aplicación se cierra sola",
    "no puedo entrar a la app móvil",
]
FEES = [
    "me cobraron una comisión por mantenimiento",
    "otra comisión por retiro en cajero",
    "suben las comisiones de la cuenta",
    "cobro de comisión sin aviso",
]


def _texts(phrases: list[str], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"Hola, {' y '.join(rng.sample(phrases, 2))} ({i})" for i in range(n)]


def _q3(texts: list[str], lang: str = "es") -> tuple[TopicsResult, list[str]]:
    posts = [post(t, author_handle=f"autor{i}") for i, t in enumerate(texts)]
    window = window_for(posts, lang=lang)
    result = answer("q3", window)
    assert isinstance(result, TopicsResult)
    return result, [p.text for p in window.posts]


def test_sizes_are_distinct_texts_and_examples_differ() -> None:
    """A fraud complaint retweeted 50 times: the topic's posts count the retweets, its
    size (distinct texts) does not, and its two examples are different texts."""
    viral = "Me clonaron la tarjeta de débito y nadie responde, cargo no reconocido"
    texts = _texts(FRAUD, 20, 1) + _texts(APP, 20, 2) + [viral]
    texts += [f"RT @victima: {viral}" for _ in range(50)]
    result, _ = _q3(texts)
    fraud = next(t for t in result.topics if "tarjeta" in t.label or "fraude" in t.label)
    assert fraud.posts >= fraud.distinct_texts + 50
    assert fraud.distinct_texts <= 21
    assert len(fraud.example_post_ids) == 2
    by_id = {f"{p}": p for p in fraud.example_post_ids}
    assert len(by_id) == 2
    assert sum(t.posts for t in result.topics) + result.unassigned_posts == len(texts)


def test_a_retweet_cut_short_is_its_originals_text() -> None:
    """X cuts a long retweet with "…": Q3 counts it as the Window does (`copy_of`), one
    text with its original, exactly as the full retweets are counted."""
    viral = (
        "Me clonaron la tarjeta de débito y nadie responde, cargo no reconocido de 900 "
        "soles, bloqueen la tarjeta por el fraude ya"
    )
    base = _texts(FRAUD, 20, 1) + _texts(APP, 20, 2)

    def fraud_topic(retweet: str) -> tuple[int, int, list[str]]:
        posts = [post(t, author_handle=f"autor{i}") for i, t in enumerate(base)]
        posts.append(post(viral, author_handle="victima"))
        posts += [post(retweet, author_handle=f"fan{i}") for i in range(30)]
        window = window_for(posts, lang="es")
        result = answer("q3", window)
        assert isinstance(result, TopicsResult)
        topic = next(t for t in result.topics if "tarjeta" in t.label or "fraude" in t.label)
        return topic.posts, topic.distinct_texts, topic.example_post_ids

    cut = f"RT @victima: {viral[:70]}…"
    posts, distinct, examples = fraud_topic(cut)
    assert (posts, distinct) == fraud_topic(f"RT @victima: {viral}")[:2]
    assert posts >= distinct + 30
    assert len(set(examples)) == 2


def test_sentiment_of_a_topic_counts_each_text_once() -> None:
    """One happy app post retweeted 80 times does not make the app topic positive."""
    happy = "Me encanta la nueva app, excelente y rápida, la mejor aplicación"
    texts = _texts(FRAUD, 20, 3) + [
        f"Horrible, la app no funciona y error al entrar, pésima aplicación ({i})"
        for i in range(20)
    ]
    texts += [happy] + [f"RT @fan: {happy}" for _ in range(80)]
    result, _ = _q3(texts)
    app = next(t for t in result.topics if "app" in t.label or "aplicación" in t.label)
    assert app.mean_sentiment < 0


@pytest.mark.parametrize("lang", ["es", "en"])
def test_templated_replies_are_said_in_the_tenants_language(lang: str) -> None:
    template = (
        "@cliente{i} Hola, para revisar tu solicitud del seguro vehicular necesitamos tu "
        "número de póliza y la placa del auto por mensaje privado"
    )
    texts = _texts(FRAUD, 20, 4) + _texts(APP, 20, 5) + [template.format(i=i) for i in range(30)]
    result, _ = _q3(texts, lang)
    note = next(n for n in result.notes if "30" in n and ("plantilla" in n or "templated" in n))
    assert ("plantilla" in note) == (lang == "es")
    assert "póliza" not in " ".join(t.label for t in result.topics)


# --------------------------------------------------------------------------- the API

WINDOW = {"since": "2026-01-01T00:00:00Z", "until": "2026-12-31T00:00:00Z"}


async def _add(session: AsyncSession, w: TenantWorld, texts: list[str]) -> None:
    start = datetime(2026, 5, 4, 15, tzinfo=UTC)
    for i, text in enumerate(texts):
        account = w.accounts[i % 2]
        session.add(
            Post(
                tenant_id=w.tenant.id,
                client_id=w.client.id,
                account_id=account.id,
                platform=account.platform,
                external_id=f"q3-{i}",
                author_handle=f"autor{i}",
                author_followers=100 + i,
                text=text,
                published_at=start + timedelta(hours=i),
                likes=i % 7,
                comments=1,
                shares=0,
                views=10,
                reach=5,
                content_type="text",
                hashtags=[],
                mentions=[],
                is_own=False,
            )
        )
    await session.flush()


async def test_q3_counts_equal_the_posts_topic_filter(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    viral = "Me cobraron una comisión por mantenimiento sin aviso, otra comisión más"
    texts = _texts(FRAUD, 25, 6) + _texts(APP, 25, 7) + _texts(FEES, 25, 8)
    texts += ["Hola, buenos días, gracias"] * 5 + [viral] + [f"RT @x: {viral}"] * 20
    # Retweets of the viral post (by autor80) cut short by X: copies of it, same topic.
    texts += [f"RT @autor{len(texts) - 21}: {viral[:50]}…"] * 5
    await _add(session, tenant_a, texts)
    h = tenant_a.headers(Role.analyst)
    url = f"/api/v1/clients/{tenant_a.client.id}/analyses/q3"
    r = await client.post(url, json=WINDOW, headers=h)
    assert r.status_code == 201, r.text
    result = TopicsResult.model_validate(r.json()["result"])
    assert result.topics
    for topic in result.topics:
        listed = await client.get(
            f"/api/v1/clients/{tenant_a.client.id}/posts",
            params={"topic": topic.label, "limit": 1},
            headers=h,
        )
        assert listed.status_code == 200, listed.text
        assert listed.json()["total"] == topic.posts, topic.label
    assert sum(t.posts for t in result.topics) + result.unassigned_posts == result.posts_analyzed
    # The viral text's topic counts its 20 full and 5 cut retweets as copies of it.
    assert max(t.posts - t.distinct_texts for t in result.topics) == 25
    labels = " ".join(t.label for t in result.topics).lower()
    assert "hola" not in labels
