"""`release_memory` drops the analysis caches and trims the C heap where it can."""

from __future__ import annotations

from datetime import UTC, datetime

from app.ai.base import PostRecord
from app.ai.local import analysis_engine
from app.ai.local.questions import common
from app.core import memory


def _posts(n: int) -> list[PostRecord]:
    words = ["precio", "servicio", "app", "tarjeta", "cuenta", "banco", "pago", "cliente"]
    return [
        PostRecord(
            id=str(i),
            platform="x",
            account_handle="brand",
            author_handle=f"user{i}",
            author_followers=100,
            text=f"{words[i % 8]} {words[(i * 3) % 8]} {words[(i * 5) % 8]} muy bueno",
            published_at=datetime(2026, 5, 1, tzinfo=UTC),
            likes=i,
            comments=0,
            shares=0,
            views=0,
            reach=0,
            content_type="text",
            hashtags=(),
            mentions=(),
            is_own=False,
        )
        for i in range(n)
    ]


def test_release_memory_drops_the_analysis_caches() -> None:
    posts = _posts(60)
    analysis_engine.enrich(posts)
    analysis_engine.topic_model(posts)
    common._per_post(posts, posts, UTC, "UTC")
    assert analysis_engine._TOPIC_MEMO._data
    assert common._PER_POST
    memory.release_memory(analysis_caches=True)
    assert not analysis_engine._TOPIC_MEMO._data
    assert not analysis_engine._ENRICH_MEMO._data
    assert not common._PER_POST


def test_release_memory_without_caches_keeps_them() -> None:
    posts = _posts(60)
    analysis_engine.topic_model(posts)
    memory.release_memory()
    assert analysis_engine._TOPIC_MEMO._data
    assert memory._libc() is not None  # glibc here: malloc_trim is called
