"""The rules Q9 (recommendations) and Q10 (summary) share before they advise anything
(issue 11, items 1, 3 and 7): which topics content may be built on, whose voice is a
partner or a critic worth an answer, and where the brand stands against its competitors
when the difference holds up.

Each rule reads stored results of the questions it names; nothing here computes from the
posts, so both questions say the same thing about the same results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.analyses.brand import BrandMatcher
from app.analyses.question import Question
from app.analyses.questions.q01_emotions import QUESTION as EMOTIONS
from app.analyses.questions.q02_personality import QUESTION as PERSONALITY
from app.analyses.questions.q03_topics import QUESTION as TOPICS
from app.analyses.questions.q03_topics.result import Topic, TopicsResult
from app.analyses.questions.q04_frames import QUESTION as FRAMES
from app.analyses.questions.q05_influencers import QUESTION as INFLUENCERS
from app.analyses.questions.q05_influencers.result import InfluencersResult, InfluencerStat
from app.analyses.questions.q06_opportunities import QUESTION as OPPORTUNITIES
from app.analyses.questions.q06_opportunities.result import OpportunitiesResult, TopicRisk
from app.analyses.questions.q07_sentiment import QUESTION as SENTIMENT
from app.analyses.questions.q08_temporal import QUESTION as TEMPORAL
from app.analyses.questions.q11_benchmark import QUESTION as BENCHMARK
from app.analyses.questions.q11_benchmark.result import BenchmarkResult, Contender
from app.analyses.statistics import MIN_SAMPLE_POSTS, min_sample, wilson

# The questions whose stored results Q9 and Q10 read.
INPUTS: tuple[Question[Any], ...] = (
    EMOTIONS,
    PERSONALITY,
    TOPICS,
    FRAMES,
    INFLUENCERS,
    OPPORTUNITIES,
    SENTIMENT,
    TEMPORAL,
    BENCHMARK,
)
MIN_STANCE_POSTS = 2  # posts naming the brand before an author's stance calls for action
PARTNERS = ("voice",)  # the only role ever proposed as a partner or a favourable voice
CONTACTABLE = ("voice", "media")  # critics worth an answer (never a competitor)
NEGATIVE_TOPIC = -0.2  # a topic's mean sentiment at or below this is a problem to tackle


def is_sizable(topic: Topic, result: TopicsResult) -> bool:
    """The topic has the minimum sample (posts and share of the window) to be spoken of."""
    return topic.posts >= min_sample(result.posts_analyzed)


def about_competitor(label: str, competitors: Sequence[BrandMatcher]) -> bool:
    """The topic's label names a competitor ("app Santander / banco"): the conversation is
    the competitor's, neither the brand's risk nor its content."""
    return any(c.named_in(label) for c in competitors)


def competitor_topics(q3: TopicsResult, competitors: Sequence[BrandMatcher]) -> list[Topic]:
    """Sizable topics about a competitor, largest first (said, never advised on)."""
    return [x for x in q3.topics if about_competitor(x.label, competitors) and is_sizable(x, q3)]


def brand_risks(
    q6: OpportunitiesResult | None, competitors: Sequence[BrandMatcher]
) -> list[TopicRisk]:
    """Q6's risks that are the brand's to manage (not a competitor's topic), in its order."""
    if q6 is None:
        return []
    return [r for r in q6.risks if not about_competitor(r.segment, competitors)]


def risky_labels(q6: OpportunitiesResult | None) -> set[str]:
    """Labels of the topics Q6 found to be risks (negative, politics or conflict)."""
    return {r.segment for r in q6.risks} if q6 is not None else set()


def content_topics(
    q3: TopicsResult,
    q6: OpportunitiesResult | None,
    competitors: Sequence[BrandMatcher],
    *,
    trends: bool,
) -> list[Topic]:
    """Rising topics content may be built on, strongest rise first: sizable, not negative,
    not about a competitor, and cleared by Q6's risk check (politics, conflict, clearly
    negative). Without Q6's result, or when the window's trends say nothing (`trends`
    False: the posts are concentrated in a few days), none."""
    if q6 is None or not trends:
        return []
    risky = risky_labels(q6)
    found = [
        x
        for x in q3.topics
        if x.trend.direction == "rising"
        and x.mean_sentiment >= 0
        and x.label not in risky
        and not about_competitor(x.label, competitors)
        and is_sizable(x, q3)
    ]
    return sorted(found, key=lambda x: -x.trend.change)


def problem_topics(
    q3: TopicsResult, q6: OpportunitiesResult | None, competitors: Sequence[BrandMatcher]
) -> list[Topic]:
    """Sizable topics with a clearly negative mean sentiment, not about a competitor, that
    Q6 did not already list as risks (its own wording covers those), most negative
    first."""
    risky = risky_labels(q6)
    found = [
        x
        for x in q3.topics
        if x.mean_sentiment <= NEGATIVE_TOPIC
        and x.label not in risky
        and not about_competitor(x.label, competitors)
        and is_sizable(x, q3)
    ]
    return sorted(found, key=lambda x: x.mean_sentiment)


def critics(q5: InfluencersResult) -> list[InfluencerStat]:
    """Authors critical of the brand in posts that name it, worth a private answer."""
    return [
        a
        for a in q5.authors
        if a.stance == "critical"
        and a.role in CONTACTABLE
        and a.brand_mention_posts >= MIN_STANCE_POSTS
    ]


def allies(q5: InfluencersResult) -> list[InfluencerStat]:
    """Authors supportive of the brand in posts that name it, never a competitor or media."""
    return [
        a
        for a in q5.authors
        if a.stance == "supportive"
        and a.role in PARTNERS
        and a.brand_mention_posts >= MIN_STANCE_POSTS
    ]


@dataclass(frozen=True)
class Standing:
    """The brand against one competitor, on the mentions of each (Q11)."""

    brand: Contender
    rival: Contender
    louder: bool  # the competitor is named more than the brand (with the minimum sample)
    more_negative: bool  # the brand's negative share is above the rival's, beyond noise
    less_negative: bool  # ... below it, beyond noise


def _negative_interval(c: Contender) -> tuple[float, float]:
    return wilson(round(c.negative_share * c.mentions), c.mentions)


def standings(q11: BenchmarkResult | None) -> list[Standing]:
    """The brand against each competitor with at least the minimum sample of mentions;
    a difference in negative share counts only when the two 95% intervals do not
    overlap."""
    if q11 is None or not q11.contenders or not q11.contenders[0].is_brand:
        return []
    brand, rivals = q11.contenders[0], q11.contenders[1:]
    out: list[Standing] = []
    for rival in rivals:
        if rival.mentions < MIN_SAMPLE_POSTS:
            continue
        sized = brand.mentions >= MIN_SAMPLE_POSTS
        b_low, b_high = _negative_interval(brand)
        r_low, r_high = _negative_interval(rival)
        out.append(
            Standing(
                brand=brand,
                rival=rival,
                louder=rival.share_of_voice > brand.share_of_voice,
                more_negative=sized and b_low > r_high,
                less_negative=sized and b_high < r_low,
            )
        )
    return out
