"""Q6 opportunities, the payload section: every dimension's segments with the local
engine's figures (posts, volume share, engagement rate, lift, gap score), so the model
chooses among the same numbers."""

from __future__ import annotations

from typing import Any

from app.analyses.question import Previous
from app.analyses.questions.q06_opportunities.local import basis, dimensions
from app.analyses.statistics import mean, r4
from app.analyses.window import Window

TOP_SEGMENTS = 10  # per dimension: the qualifying ones first, then by gap score


def section(window: Window, previous: Previous) -> dict[str, Any]:
    kind, compared = basis(window)
    tables: dict[str, Any] = {}
    for dimension in dimensions(window):
        ranked = sorted(
            dimension.segments, key=lambda s: (not s.qualifies, -s.gap_score, -s.lift, s.segment)
        )
        tables[dimension.name] = {
            "baseline_engagement_rate": r4(dimension.baseline),
            "min_segment_posts": dimension.min_posts,
            "segments": [
                {
                    "segment": s.segment,
                    "posts": s.posts,
                    "volume_share": r4(s.volume_share),
                    "mean_engagement_rate": r4(s.mean_engagement_rate),
                    "lift": r4(s.lift),
                    "gap_score": r4(max(0.0, s.gap_score)),
                    "qualifies": s.qualifies,
                }
                for s in ranked[:TOP_SEGMENTS]
            ],
        }
    return {
        "segments": {
            "basis": kind,
            "posts_compared": len(compared),
            "baseline_engagement_rate": r4(mean(window.rates[i] for i in compared)),
            "dimensions": tables,
        }
    }
