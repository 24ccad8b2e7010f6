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

from app.analyses.engines import LocalEngine
from app.analyses.question import Previous
from app.analyses.registry import KEYS, execution_levels
from app.analyses.window import Window
from app.demo.generator import DEMO_CLIENTS
from tests.analyses.builders import demo_posts, demo_profile

GOLDEN = Path(__file__).parent / "golden" / "local_demo.json"
END = datetime(2026, 6, 1, tzinfo=UTC)
# name: (demo client index, posts generated, window days, tenant language, time zone)
CASES: dict[str, tuple[int, int, int, str, str]] = {
    "banco_es": (0, 1500, 90, "es", "America/Lima"),
    "vertice_en": (1, 1200, 60, "en", "America/Bogota"),
    "small_es": (0, 25, 10, "es", "America/Lima"),
    "empty_en": (1, 0, 30, "en", "UTC"),
}


async def _results(name: str) -> dict[str, Any]:
    """All ten questions on one case, as a job runs them (enrich, Q1-Q8, then Q9-Q10)."""
    client, n, days, lang, tz = CASES[name]
    spec = DEMO_CLIENTS[client]
    start = END - timedelta(days=days)
    generated = demo_posts(n, client, days=days, end=END, prefix=f"{spec.key}-")
    posts = [p for p in generated if start <= p.published_at < END]
    profile = demo_profile(client)
    window = Window.build(posts, client=profile, start=start, end=END, language=lang, timezone=tz)
    engine = LocalEngine()
    results: dict[str, Any] = {}
    for level in execution_levels(list(KEYS)):
        outcomes = await asyncio.gather(
            *(engine.run(q, window, Previous.load(q.depends_on, results)) for q in level)
        )
        for question, outcome in zip(level, outcomes, strict=True):
            results[question.key] = outcome.result.model_dump(mode="json")
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
