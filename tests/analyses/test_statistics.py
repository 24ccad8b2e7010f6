"""Each figure of app/analyses/statistics.py on known small inputs."""

from __future__ import annotations

from datetime import date

import pytest

from app.analyses.statistics import (
    AUDIENCE_FLOOR,
    Group,
    days_between,
    engagement_rate,
    groups,
    mean,
    negative_spikes,
    share,
    shares,
    slope,
    stance,
    trend,
    week_start,
    weeks_between,
    zscores,
)
from tests.analyses.builders import post


def test_engagement_rate_is_engagement_over_audience_with_a_floor_and_a_cap() -> None:
    assert (
        engagement_rate(post("x", likes=30, comments=10, shares=10, author_followers=1000)) == 0.05
    )
    # Tiny accounts count as AUDIENCE_FLOOR followers, so 5 likes are not a 100% rate.
    assert engagement_rate(post("x", likes=5, comments=0, author_followers=3)) == 5 / AUDIENCE_FLOOR
    assert engagement_rate(post("x", likes=900, comments=0, author_followers=200)) == 1.0


def test_shares_sum_to_one_with_the_largest_remainders() -> None:
    assert shares([1, 1, 1]) == [0.3334, 0.3333, 0.3333]
    assert sum(shares([7, 5, 3, 2])) == pytest.approx(1.0, abs=1e-12)
    assert shares([0, 0]) == [0.0, 0.0]
    assert share(1, 3) == 0.3333
    assert share(1, 0) == 0.0


def test_mean_zscores_and_slope() -> None:
    assert mean([]) == 0.0
    assert mean([1, 2, 3, 6]) == 3.0
    assert zscores([2.0, 2.0, 2.0]) == [0.0, 0.0, 0.0]
    assert zscores([1.0, 3.0]) == [-1.0, 1.0]
    assert slope([1.0, 3.0, 5.0]) == 2.0
    assert slope([4.0, 4.0], [0.0, 0.0]) == 0.0  # no spread in x
    assert slope([5.0]) == 0.0


def test_trend_direction_is_the_slope_relative_to_the_mean() -> None:
    rising = trend([10.0, 11.0, 12.0, 13.0], [0.0, 1.0, 2.0, 3.0])
    assert rising is not None
    assert (rising.slope_per_week, rising.direction) == (1.0, "rising")
    assert rising.relative_slope == round(1.0 / 11.5, 4)
    flat = trend([100.0, 101.0, 100.0], [0.0, 1.0, 2.0])
    assert flat is not None
    assert flat.direction == "stable"
    falling = trend([9.0, 6.0, 3.0], [0.0, 1.0, 2.0])
    assert falling is not None
    assert falling.direction == "falling"
    assert trend([1.0, 2.0], [0.0, 1.0]) is None  # two points are no trend


def test_weeks_and_days() -> None:
    assert week_start(date(2025, 3, 13)) == date(2025, 3, 10)  # a Thursday -> its Monday
    assert weeks_between(date(2025, 3, 13), date(2025, 3, 24)) == [
        date(2025, 3, 10),
        date(2025, 3, 17),
        date(2025, 3, 24),
    ]
    assert days_between(date(2025, 2, 27), date(2025, 3, 1)) == [
        date(2025, 2, 27),
        date(2025, 2, 28),
        date(2025, 3, 1),
    ]


def test_group_counts_means_and_sentiment() -> None:
    members = [
        post("a", likes=10, comments=0, author_followers=1000, is_own=True,
             sentiment_label="positive", sentiment_score=0.5, emotion_label="joy"),
        post("b", likes=30, comments=0, author_followers=1000,
             sentiment_label="negative", sentiment_score=-0.5, emotion_label="anger"),
        post("c", likes=20, comments=0, author_followers=1000,
             sentiment_label=None, sentiment_score=None, emotion_label=None),
    ]  # fmt: skip
    group = Group()
    for p in members:
        group.add(p)
    assert (group.posts, group.own, group.engagement, group.own_engagement) == (3, 1, 60, 10)
    assert group.mean_engagement == 20
    assert group.mean_rate == pytest.approx(0.02)
    assert group.mean_sentiment == 0.0  # over the posts that have a score
    assert group.sentiment_counts() == [1, 1, 1]  # no label counts as neutral
    assert group.sentiment_shares() == [0.3334, 0.3333, 0.3333]
    assert group.net_sentiment() == 0.0001
    assert group.emotion_counts() == {"anger": 1, "joy": 1, "neutral": 1}
    by_platform = groups((p.platform, p) for p in members)
    assert list(by_platform) == ["x"]


def test_negative_spikes_need_a_baseline_and_stand_out() -> None:
    days = days_between(date(2025, 4, 1), date(2025, 4, 14))
    per_day: dict[date, Group] = {}
    for day in days:
        group = Group()
        for n in range(10):
            negative = (day == date(2025, 4, 10) and n < 8) or n == 0
            group.add(post("x", sentiment_label="negative" if negative else "neutral"))
        per_day[day] = group
    found = negative_spikes(days, per_day)
    assert {(s.day, s.kind) for s in found} == {
        (date(2025, 4, 10), "negative_share"),
        (date(2025, 4, 10), "negative_volume"),
    }
    assert [s.z_score for s in found] == sorted((s.z_score for s in found), reverse=True)
    volume = next(s for s in found if s.kind == "negative_volume")
    assert (volume.negative_posts, volume.posts, volume.value) == (8, 10, 8.0)
    assert volume.z_score > 2
    share_spike = next(s for s in found if s.kind == "negative_share")
    assert share_spike.value == 0.8
    assert negative_spikes(days[:6], per_day) == []  # six days: no baseline to stand out from
    quiet = {d: per_day[d] for d in days[:3]}  # days without posts count as zero
    assert negative_spikes(days, quiet) == []  # 1 negative a day on 3 of 14 days: no spike


def test_stance_thresholds() -> None:
    assert [stance(x) for x in (0.2, 0.19, -0.19, -0.2)] == [
        "supportive",
        "neutral",
        "neutral",
        "critical",
    ]
