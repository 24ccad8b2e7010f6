"""Each figure of app/analyses/statistics.py on known small inputs."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from app.analyses.statistics import (
    AUDIENCE_FLOOR,
    MIN_SAMPLE_POSTS,
    MIN_SAMPLE_SHARE,
    Group,
    Moments,
    concentration,
    days_between,
    engagement_rate,
    groups,
    lift_interval,
    mean,
    min_sample,
    negative_spikes,
    share,
    shares,
    slope,
    stance,
    trend,
    week_start,
    weeks_between,
    wilson,
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


def _days_of(days: list[date], per_day: dict[date, tuple[int, int]]) -> dict[date, Group]:
    """A Group per day from (posts, negative posts)."""
    out: dict[date, Group] = {}
    for day in days:
        posts, negative = per_day.get(day, (0, 0))
        if posts:
            group = Group()
            for n in range(posts):
                group.add(post("x", sentiment_label="negative" if n < negative else "neutral"))
            out[day] = group
    return out


def test_negative_spikes_are_spikes_of_the_share_on_enough_posts() -> None:
    days = days_between(date(2025, 4, 1), date(2025, 4, 14))
    spike_day = date(2025, 4, 10)
    per_day = _days_of(days, {d: (40, 24 if d == spike_day else 4) for d in days})
    found = negative_spikes(days, per_day)
    assert [(s.day, s.kind) for s in found] == [(spike_day, "negative_share")]
    spike = found[0]
    assert (spike.negative_posts, spike.posts, spike.value) == (24, 40, 0.6)
    # z of 24/40 against the other 13 days' 52/520, pooled standard error
    pooled = 76 / 560
    z = (0.6 - 0.1) / math.sqrt(pooled * (1 - pooled) * (1 / 40 + 1 / 520))
    assert spike.z_score == round(z, 4)
    assert negative_spikes(days[:6], per_day) == []  # six days: no baseline to stand out from
    # Ten times the posts, the same share: no spike.
    busy = _days_of(days, {d: (400 if d == spike_day else 40, 40 if d == spike_day else 4)
                           for d in days})  # fmt: skip
    assert negative_spikes(days, busy) == []
    # All negative, but 29 posts: too few to judge.
    small = _days_of(days, {d: (29, 29) if d == spike_day else (40, 4) for d in days})
    assert negative_spikes(days, small) == []
    # Significant on a large day, but only 5 points above the rest: not a spike.
    mild = _days_of(days, {d: (2000, 300) if d == spike_day else (2000, 200) for d in days})
    assert negative_spikes(days, mild) == []


def test_min_sample_and_wilson() -> None:
    assert min_sample(100) == MIN_SAMPLE_POSTS == 30
    assert min_sample(6086) == math.ceil(MIN_SAMPLE_SHARE * 6086) == 122
    low, high = wilson(3, 10)
    assert (round(low, 4), round(high, 4)) == (0.1078, 0.6032)  # the textbook interval
    assert wilson(0, 0) == (0.0, 1.0)
    assert wilson(0, 50)[0] == 0.0
    assert wilson(50, 50)[1] == 1.0


def test_a_lift_holds_only_when_its_interval_is_above_one() -> None:
    rest = Moments.of([0.010 + 0.001 * (i % 5) for i in range(400)])
    clear = Moments.of([0.020 + 0.001 * (i % 5) for i in range(100)])
    lift = lift_interval(clear, rest)
    assert lift is not None
    assert lift.holds
    assert 1 < lift.low < lift.lift < lift.high
    assert lift.lift == pytest.approx(clear.mean / ((clear.total + rest.total) / 500))
    # Twenty posts at a high rate among noisy ones: a high point lift, no claim.
    noisy = Moments.of([0.001] * 18 + [0.6, 0.6])
    few = lift_interval(noisy, Moments.of([0.01 + 0.02 * (i % 3) for i in range(400)]))
    assert few is not None
    assert few.lift > 1.5
    assert not few.holds
    # No engagement on one side: nothing can be told.
    assert lift_interval(Moments.of([0.0] * 40), rest) is None
    assert lift_interval(Moments.of([0.1]), rest) is None


def test_concentration() -> None:
    first = date(2020, 6, 1)
    spread = {first + timedelta(days=k): 10 for k in range(100)}
    assert concentration(spread, 100) is None
    burst = {first + timedelta(days=k): 1 for k in range(100)}
    burst |= {first + timedelta(days=90 + k): 200 for k in range(5)}
    found = concentration(burst, 100)
    assert found is not None
    assert found.days == 5
    assert found.posts_share == round(1000 / 1095, 4)  # 95 days of 1 post, 5 of 200
    assert (found.first_day, found.last_day) == (
        first + timedelta(days=90),
        first + timedelta(days=94),
    )
    assert concentration({first: 5}, 3) is None  # one of three days: a short window, no claim


def test_stance_thresholds() -> None:
    assert [stance(x) for x in (0.2, 0.19, -0.19, -0.2)] == [
        "supportive",
        "neutral",
        "neutral",
        "critical",
    ]
