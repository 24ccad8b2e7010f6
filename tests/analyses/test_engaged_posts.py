"""Q6 segments and Q8 slots compare the posts whose engagement is their own, each text
once (`parts.engaged_posts`): a retweet's engagement is its original's (0 by design) and
a text posted again would count its segment twice (what makes a topic a risk still reads
every post of it: test_evidence.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.analyses.question import Previous
from app.analyses.questions.parts import engaged_posts, engagement_basis
from app.analyses.questions.q06_opportunities.llm import section as q6_section
from app.analyses.questions.q06_opportunities.result import OpportunitiesResult
from app.analyses.questions.q08_temporal.result import TemporalResult
from tests.analyses.builders import answer, post, window_for

START = datetime(2025, 3, 3, 14, 0, tzinfo=UTC)  # a Monday, 09:00 in Lima
THURSDAY_19 = datetime(2025, 3, 7, 0, 0, tzinfo=UTC)  # Thursday 19:00 in Lima
OWN = {"is_own": True, "platform": "instagram", "author_followers": 10_000}


def _spread(i: int) -> datetime:
    return START + timedelta(days=i % 60, hours=(i * 5) % 24)


def _brand_retweet(i: int, when: datetime, **kw: object) -> object:
    """The brand retweeting a customer: its row carries the original's counts."""
    return post(
        f"RT @cliente{i}: Excelente atención en la agencia de Miraflores, gracias ({i})",
        likes=5000,
        shares=300,
        published_at=when,
        **{**OWN, "platform": "x", "content_type": "text", **kw},
    )


def test_q8_slots_leave_retweets_out_and_count_a_text_once() -> None:
    posts = [
        post(f"Nuevo en la app ({i})", likes=100 + i % 9, published_at=_spread(i), **OWN)
        for i in range(300)
    ]
    posts += [
        post(f"Nuevo en la app, este jueves ({i})", likes=400 + i % 13,
             published_at=THURSDAY_19 + timedelta(weeks=i % 9, minutes=i), **OWN)
        for i in range(45)
    ]  # fmt: skip
    # The same Thursday text posted 30 more times, and 200 retweets at that hour.
    posts += [
        post("Nuevo en la app, este jueves (0)", likes=400,
             published_at=THURSDAY_19 + timedelta(weeks=i % 9, minutes=50), **OWN)
        for i in range(30)
    ]  # fmt: skip
    posts += [
        _brand_retweet(i, THURSDAY_19 + timedelta(weeks=i % 9, minutes=55)) for i in range(200)
    ]
    window = window_for(posts, days=70)
    kind, compared = engagement_basis(window)
    assert (kind, len(compared)) == ("own", 345)
    result = answer("q8", window)
    assert isinstance(result, TemporalResult)
    lima = ZoneInfo("America/Lima")
    spread = sum(
        1
        for i in range(300)
        if (_spread(i).astimezone(lima).weekday(), _spread(i).astimezone(lima).hour) == (3, 19)
    )
    best = result.best_windows[0]
    assert (best.weekday, best.hour) == (3, 19)
    assert best.posts == 45 + spread
    assert 1 < best.lift_low <= best.lift <= best.lift_high
    # The heat map still counts every post published in the slot.
    cell = next(c for c in result.cells if (c.weekday, c.hour) == (3, 19))
    assert cell.posts == 45 + spread + 30 + 200


def test_q6_segments_leave_the_brands_retweets_out() -> None:
    posts = [
        post(f"Conoce la Tarjeta Clásica ({i})", content_type="image",
             likes=100 + (i * 37) % 60, published_at=_spread(i), **OWN)
        for i in range(320)
    ]  # fmt: skip
    posts += [
        post(f"Mira el reel de la Tarjeta Clásica ({i})", content_type="reel",
             likes=300 + (i * 53) % 180, published_at=_spread(i), **OWN)
        for i in range(80)
    ]  # fmt: skip
    posts += [_brand_retweet(i, _spread(i)) for i in range(400)]
    window = window_for(posts, lang="es", days=70)
    result = answer("q6", window)
    assert isinstance(result, OpportunitiesResult)
    assert result.basis == "own"
    reel = next(o for o in result.opportunities if o.segment == "reel")
    assert (reel.posts, reel.volume_share) == (80, 0.2)
    engaged = engaged_posts(window)
    assert len(engaged) == 400
    mean_rate = sum(window.rates[i] for i in engaged) / len(engaged)
    assert result.baseline_engagement_rate == pytest.approx(mean_rate, abs=1e-4)
    # Neither the retweets' content type nor their platform is a segment.
    segments = q6_section(window, Previous())["segments"]
    assert segments["posts_compared"] == 400
    types = {s["segment"] for s in segments["dimensions"]["content_type"]["segments"]}
    assert types == {"image", "reel"}
    assert "platform" not in segments["dimensions"]
