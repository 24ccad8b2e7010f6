"""Small builders for analysis tests that need no database: posts, windows, answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from pydantic import BaseModel

from app.analyses.question import Previous
from app.analyses.records import PostRecord
from app.analyses.registry import BY_KEY
from app.analyses.window import Window
from app.clients.service import ClientProfile, CompetitorProfile
from app.demo.generator import DEMO_CLIENTS, generate_posts

END = datetime(2025, 6, 1, tzinfo=UTC)
_ids = count(1)

CLIENT = ClientProfile(
    name="Banco Andino",
    industry="banking",
    country="PE",
    language="es",
    competitors=(CompetitorProfile("BCP"), CompetitorProfile("Interbank")),
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


def window_for(
    posts: Sequence[PostRecord],
    *,
    lang: str = "en",
    tz: str = "America/Lima",
    days: int = 30,
    client: ClientProfile = CLIENT,
    end: datetime = END,
) -> Window:
    """The window of `posts` (enriched in a copy of the list) ending at `end`."""
    return Window.build(
        list(posts),
        client=client,
        start=end - timedelta(days=days),
        end=end,
        language=lang,
        timezone=tz,
    )


def previous_for(key: str, stored: Mapping[str, Any] | None = None) -> Previous:
    """What question `key` reads of `stored` results (key -> result or its JSON)."""
    question = BY_KEY[key]
    raw = {
        k: (v.model_dump(mode="json") if isinstance(v, BaseModel) else v)
        for k, v in (stored or {}).items()
    }
    return Previous.load(question.depends_on, raw) if question.depends_on else Previous()


def answer(key: str, window: Window, stored: Mapping[str, Any] | None = None) -> BaseModel:
    """Question `key`'s local answer on `window` (dependent questions read `stored`)."""
    return BY_KEY[key].local(window, previous_for(key, stored))


def demo_posts(
    n: int = 1000,
    client: int = 0,
    *,
    days: int = 90,
    end: datetime = END,
    seed: int = 11,
    prefix: str = "d",
) -> list[PostRecord]:
    """`n` generated posts of a demo client, as the analyses read them (not enriched)."""
    spec = DEMO_CLIENTS[client]
    generated = generate_posts(spec, n_posts=n, end=end, days=days, seed=seed)
    return [
        PostRecord(
            id=f"{prefix}{i:05d}",
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


def demo_profile(client: int = 0) -> ClientProfile:
    spec = DEMO_CLIENTS[client]
    return ClientProfile(
        name=spec.name,
        industry=spec.industry,
        country=spec.country,
        language=spec.language,
        competitors=tuple(CompetitorProfile(name) for name in spec.competitors),
        handles=tuple(sorted({a.handle for a in spec.accounts})),
    )


def demo_window(n: int = 1000, client: int = 0, lang: str = "es") -> Window:
    return window_for(demo_posts(n, client), lang=lang, days=90, client=demo_profile(client))
