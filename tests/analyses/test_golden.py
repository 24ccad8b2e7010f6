"""The local engine's results on generated demo data, against a golden file.

`golden/local_demo.json` was written by the code before the analysis core was reshaped
(issue #9): all ten questions on four fixed windows (two demo clients in Spanish and
English, a small window and an empty one). A change to any figure fails here; a change
that is meant (a definition made to agree between the engines) rewrites the file with
`PIXELY_WRITE_GOLDEN=1` and says which figure changed and why in its commit.
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.ai.base import AnalysisInput, ClientProfile, PostRecord
from app.ai.local.analysis_engine import LocalEngine, clear_caches, enrich_in_place
from app.analyses.registry import execution_levels
from app.analyses.results import RESULT_MODELS
from app.demo.generator import DEMO_CLIENTS, generate_posts

GOLDEN = Path(__file__).parent / "golden" / "local_demo.json"
END = datetime(2026, 6, 1, tzinfo=UTC)
# name: (demo client index, posts generated, window days, tenant language, time zone)
CASES: dict[str, tuple[int, int, int, str, str]] = {
    "banco_es": (0, 1500, 90, "es", "America/Lima"),
    "vertice_en": (1, 1200, 60, "en", "America/Bogota"),
    "small_es": (0, 25, 10, "es", "America/Lima"),
    "empty_en": (1, 0, 30, "en", "UTC"),
}


def _posts(client: int, n: int, days: int) -> list[PostRecord]:
    spec = DEMO_CLIENTS[client]
    generated = generate_posts(spec, n_posts=n, end=END, days=days, seed=11)
    return [
        PostRecord(
            id=f"{spec.key}-{i:05d}",
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


async def _results(name: str) -> dict[str, Any]:
    """All ten questions on one case, as a job runs them (enrich, Q1-Q8, then Q9-Q10)."""
    client, n, days, lang, tz = CASES[name]
    spec = DEMO_CLIENTS[client]
    start = END - timedelta(days=days)
    posts = [p for p in _posts(client, n, days) if start <= p.published_at < END]
    enrich_in_place(posts)
    profile = ClientProfile(
        name=spec.name,
        industry=spec.industry,
        country=spec.country,
        language=spec.language,
        competitors=tuple(spec.competitors),
        handles=tuple(sorted({a.handle for a in spec.accounts})),
    )
    engine = LocalEngine()
    results: dict[str, Any] = {}
    for level in execution_levels(list(RESULT_MODELS)):
        data = AnalysisInput(
            client=profile,
            posts=posts,
            window_start=start,
            window_end=END,
            tenant_language=lang,
            timezone=tz,
            previous=dict(results),
        )
        outcomes = await asyncio.gather(*(engine.run(k, data, RESULT_MODELS[k]) for k in level))
        for key, outcome in zip(level, outcomes, strict=True):
            results[key] = outcome.result.model_dump(mode="json")
    clear_caches()
    return {"posts": len(posts), "results": results}


def test_local_results_match_the_golden_file() -> None:
    got = {name: asyncio.run(_results(name)) for name in CASES}
    if os.environ.get("PIXELY_WRITE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
        pytest.skip("golden file written")
    expected = json.loads(GOLDEN.read_text())
    assert sorted(got) == sorted(expected)
    for name in CASES:
        assert got[name]["posts"] == expected[name]["posts"], name
        for key, result in expected[name]["results"].items():
            assert got[name]["results"][key] == result, f"{name} {key}"
