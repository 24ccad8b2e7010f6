"""Q6 opportunities, the payload section: every dimension's segments with the local
engine's figures (posts, volume share, engagement rate, lift and its 95% interval, gap
score, whether it qualifies), topics with what makes them risks and languages with their
audience and market, so the model chooses among the same numbers and the same rules."""

from __future__ import annotations

from typing import Any

from app.analyses.question import Previous
from app.analyses.questions.q06_opportunities.local import Segment, basis, dimensions
from app.analyses.statistics import mean, r4
from app.analyses.window import Window

TOP_SEGMENTS = 10  # per dimension but topics: the qualifying ones first, then by gap score


def _row(s: Segment) -> dict[str, Any]:
    row: dict[str, Any] = {
        "segment": s.segment,
        "posts": s.posts,
        "volume_share": r4(s.volume_share),
        "mean_engagement_rate": round(s.mean_engagement_rate, 6),
        "lift": r4(s.lift),
        "lift_low": r4(s.lift_low),
        "lift_high": r4(s.lift_high),
        "gap_score": r4(max(0.0, s.gap_score)),
        "enough_posts": s.enough,
        "lift_holds": s.holds,
        "qualifies": s.qualifies,
    }
    if s.dimension == "topic" and s.enough:
        row |= {
            "negative_share": r4(s.negative_share),
            "positive_share": r4(s.positive_share),
            "politics_share": r4(s.politics_share),
            "conflict_share": r4(s.conflict_share),
            "risk": bool(s.risks),
            "risk_reasons": list(s.risks),
        }
    if s.dimension == "language":
        row |= {"audience_share": r4(s.audience_share or 0.0), "market_fit": s.market_fit}
    return row


def section(window: Window, previous: Previous) -> dict[str, Any]:
    kind, compared = basis(window)
    tables: dict[str, Any] = {}
    for dimension in dimensions(window):
        ranked = sorted(
            dimension.segments, key=lambda s: (not s.qualifies, -s.gap_score, -s.lift, s.segment)
        )
        # Every topic is sent (a risky one must be seen to be listed as a risk).
        shown = len(ranked) if dimension.name == "topic" else TOP_SEGMENTS
        tables[dimension.name] = {
            "baseline_engagement_rate": r4(dimension.baseline),
            "min_segment_posts": dimension.min_posts,
            "segments": [_row(s) for s in ranked[:shown]],
        }
    return {
        "segments": {
            "basis": kind,
            "posts_compared": len(compared),
            "baseline_engagement_rate": r4(mean(window.rates[i] for i in compared)),
            "dimensions": tables,
        }
    }
