"""Result models of the ten analysis questions (Q1..Q10).

One Pydantic model per question. The same model is the API response, the stored JSON and
the JSON schema an LLM engine must fill, so the models are strict: no free-form dicts,
lists of small objects instead, shares as floats in 0..1, sentiment in -1..1, every field
described and required (nullable where a value may be missing). Every result carries
`posts_analyzed` and `notes` (plain statements about data limits, never model chatter).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Emotion = Literal["anger", "disgust", "fear", "joy", "sadness", "surprise", "trust", "neutral"]
Frame = Literal["conflict", "human_interest", "economic", "morality", "responsibility", "brand"]
PersonalityDimension = Literal[
    "sincerity", "excitement", "competence", "sophistication", "ruggedness"
]
Stance = Literal["supportive", "critical", "neutral"]
Direction = Literal["rising", "falling", "stable"]
SourceKey = Literal["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "posts"]

QUESTION_SLUGS: dict[str, str] = {
    "q1": "emotions",
    "q2": "personality",
    "q3": "topics",
    "q4": "narrative_frames",
    "q5": "influencers",
    "q6": "opportunities",
    "q7": "sentiment",
    "q8": "temporal",
    "q9": "recommendations",
    "q10": "summary",
}

_POSTS_ANALYZED = "Number of posts the figures of this result are computed on."
_NOTES = (
    "Plain statements about the data and its limits (for example 'Only 12 posts in the "
    "window; shares are unstable'); empty when there is nothing to warn about."
)
_STRICT = ConfigDict(extra="forbid")


def _share(what: str) -> str:
    return f"{what} (fraction 0..1, not a percentage)."


class _Base(BaseModel):
    model_config = _STRICT


class _Result(_Base):
    posts_analyzed: int = Field(ge=0, description=_POSTS_ANALYZED)
    notes: list[str] = Field(description=_NOTES)


# --------------------------------------------------------------------------- shared parts


class PostExample(_Base):
    """One post quoted as an example."""

    post_id: str = Field(description="Id of the post (as stored in Pixely).")
    platform: str = Field(description="Platform of the post, e.g. 'instagram', 'x'.")
    published_at: datetime = Field(description="When the post was published (UTC, ISO 8601).")
    text: str = Field(description="The post text, shortened to at most 200 characters.")
    score: float = Field(
        ge=-1.0,
        le=1.0,
        description=(
            "The score the example was chosen by: the emotion's score 0..1 (Q1), the "
            "sentiment score -1..1 (Q4, Q7)."
        ),
    )
    engagement: int = Field(ge=0, description="Likes + comments + shares of the post.")


class EmotionShares(_Base):
    """Share of posts whose dominant emotion is each of the eight labels (sums to 1)."""

    anger: float = Field(ge=0, le=1, description=_share("Share of posts dominated by anger"))
    disgust: float = Field(ge=0, le=1, description=_share("Share of posts dominated by disgust"))
    fear: float = Field(ge=0, le=1, description=_share("Share of posts dominated by fear"))
    joy: float = Field(ge=0, le=1, description=_share("Share of posts dominated by joy"))
    sadness: float = Field(ge=0, le=1, description=_share("Share of posts dominated by sadness"))
    surprise: float = Field(ge=0, le=1, description=_share("Share of posts dominated by surprise"))
    trust: float = Field(ge=0, le=1, description=_share("Share of posts dominated by trust"))
    neutral: float = Field(
        ge=0, le=1, description=_share("Share of posts with no emotional cue (neutral)")
    )


class Figure(_Base):
    """One named number backing a statement."""

    name: str = Field(description="What the number is, e.g. 'mean engagement rate'.")
    value: float = Field(description="The number itself (shares and rates as fractions).")
    unit: Literal["posts", "share", "rate", "ratio", "score", "count"] = Field(
        description=(
            "'posts' or 'count' for counts, 'share' and 'rate' for fractions 0..1, 'ratio' "
            "for multiples (1.8 = 80% above the baseline), 'score' for other indices."
        )
    )


class TermCount(_Base):
    term: str = Field(description="A word or phrase as written in the lexicon.")
    count: int = Field(ge=0, description="How many times it was found.")


# --------------------------------------------------------------------------- Q1 emotions


class EmotionStat(_Base):
    emotion: Emotion = Field(description="Emotion label.")
    share: float = Field(
        ge=0,
        le=1,
        description=_share("Share of posts whose dominant emotion is this one; the eight sum to 1"),
    )
    posts: int = Field(ge=0, description="Posts whose dominant emotion is this one.")
    mean_score: float = Field(
        ge=0, le=1, description="Mean of this emotion's per-post score over all posts (0..1)."
    )


class PlatformEmotions(_Base):
    platform: str = Field(description="Platform name.")
    posts: int = Field(ge=0, description="Posts on this platform.")
    dominant_emotion: Emotion | None = Field(
        description="Most frequent dominant emotion on this platform (null without posts)."
    )
    shares: EmotionShares = Field(description="Emotion distribution on this platform.")


class EmotionPeriod(_Base):
    period_start: date = Field(
        description="Monday that starts the week, in the tenant's time zone."
    )
    posts: int = Field(ge=0, description="Posts published that week.")
    dominant_emotion: Emotion | None = Field(
        description="Most frequent dominant emotion that week (null without posts)."
    )
    shares: EmotionShares = Field(description="Emotion distribution that week.")


class EmotionExamples(_Base):
    emotion: Emotion = Field(description="One of the most frequent non-neutral emotions.")
    posts: list[PostExample] = Field(
        description="Up to 3 posts with the highest score for this emotion."
    )


class EmotionsResult(_Result):
    """Q1: which emotions the posts express, where and when."""

    distribution: list[EmotionStat] = Field(
        description="All eight emotions, most frequent first; shares sum to 1."
    )
    dominant_emotion: Emotion | None = Field(
        description="Most frequent dominant emotion, neutral included (null without posts)."
    )
    dominant_non_neutral: Emotion | None = Field(
        description="Most frequent emotion other than neutral (null if every post is neutral)."
    )
    by_platform: list[PlatformEmotions] = Field(description="Distribution per platform.")
    over_time: list[EmotionPeriod] = Field(
        description="Weekly distribution in the tenant's time zone, oldest first."
    )
    examples: list[EmotionExamples] = Field(
        description="Example posts for up to 3 most frequent non-neutral emotions."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 1240,
                    "distribution": [
                        {"emotion": "neutral", "share": 0.38, "posts": 471, "mean_score": 0.52},
                        {"emotion": "joy", "share": 0.29, "posts": 360, "mean_score": 0.24},
                        {"emotion": "anger", "share": 0.12, "posts": 149, "mean_score": 0.09},
                        {"emotion": "trust", "share": 0.08, "posts": 99, "mean_score": 0.06},
                        {"emotion": "sadness", "share": 0.05, "posts": 62, "mean_score": 0.05},
                        {"emotion": "fear", "share": 0.04, "posts": 50, "mean_score": 0.03},
                        {"emotion": "surprise", "share": 0.03, "posts": 37, "mean_score": 0.02},
                        {"emotion": "disgust", "share": 0.01, "posts": 12, "mean_score": 0.01},
                    ],
                    "dominant_emotion": "neutral",
                    "dominant_non_neutral": "joy",
                    "by_platform": [
                        {
                            "platform": "instagram",
                            "posts": 410,
                            "dominant_emotion": "joy",
                            "shares": {
                                "anger": 0.06,
                                "disgust": 0.01,
                                "fear": 0.02,
                                "joy": 0.41,
                                "sadness": 0.03,
                                "surprise": 0.04,
                                "trust": 0.1,
                                "neutral": 0.33,
                            },
                        }
                    ],
                    "over_time": [
                        {
                            "period_start": "2025-03-03",
                            "posts": 96,
                            "dominant_emotion": "neutral",
                            "shares": {
                                "anger": 0.14,
                                "disgust": 0.01,
                                "fear": 0.05,
                                "joy": 0.27,
                                "sadness": 0.05,
                                "surprise": 0.02,
                                "trust": 0.07,
                                "neutral": 0.39,
                            },
                        }
                    ],
                    "examples": [
                        {
                            "emotion": "joy",
                            "posts": [
                                {
                                    "post_id": "6f1c2a8e-3b7d-4c55-9a0e-2d41f0b8c901",
                                    "platform": "instagram",
                                    "published_at": "2025-03-04T23:10:00Z",
                                    "text": "Por fin, transferí S/ 500 con Plin en segundos, "
                                    "¡me encanta la nueva app! 🥳",
                                    "score": 0.71,
                                    "engagement": 34,
                                }
                            ],
                        }
                    ],
                    "notes": [],
                }
            ]
        }
    )


# --------------------------------------------------------------------------- Q2 personality


class DimensionScore(_Base):
    dimension: PersonalityDimension = Field(description="Aaker brand-personality dimension.")
    score: float = Field(
        ge=0,
        le=1,
        description=_share(
            "Share of the brand's own posts using at least one term of this dimension"
        ),
    )
    relative_weight: float = Field(
        ge=0,
        le=1,
        description=_share(
            "This dimension's term matches over all dimensions' matches; the five sum to 1 "
            "when any term matched"
        ),
    )
    matched_posts: int = Field(ge=0, description="Own posts with at least one term.")
    matched_terms: list[TermCount] = Field(
        description="Most frequent lexicon terms found (up to 8)."
    )
    example_post_ids: list[str] = Field(description="Up to 3 own posts using these terms.")


class PersonalityResult(_Result):
    """Q2: the brand personality its own posts project (Aaker's five dimensions).

    `posts_analyzed` counts the brand's own posts only.
    """

    own_posts: int = Field(ge=0, description="Posts published by the brand's own accounts.")
    dimensions: list[DimensionScore] = Field(
        description="The five dimensions, highest score first."
    )
    dominant_dimension: PersonalityDimension | None = Field(
        description="Dimension with the highest score (null when no own post matched any term)."
    )
    weakest_dimension: PersonalityDimension | None = Field(
        description="Dimension with the lowest score (null when no own post matched any term)."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 248,
                    "own_posts": 248,
                    "dimensions": [
                        {
                            "dimension": "competence",
                            "score": 0.42,
                            "relative_weight": 0.35,
                            "matched_posts": 104,
                            "matched_terms": [
                                {"term": "seguridad", "count": 31},
                                {"term": "digital", "count": 22},
                            ],
                            "example_post_ids": ["9b0e7f7e-1a4d-4e0b-8f5c-0c1f4a6f0d11"],
                        },
                        {
                            "dimension": "sincerity",
                            "score": 0.3,
                            "relative_weight": 0.25,
                            "matched_posts": 74,
                            "matched_terms": [{"term": "gracias", "count": 18}],
                            "example_post_ids": [],
                        },
                    ],
                    "dominant_dimension": "competence",
                    "weakest_dimension": "ruggedness",
                    "notes": [],
                }
            ]
        }
    )


# --------------------------------------------------------------------------- Q3 topics


class Keyword(_Base):
    term: str = Field(description="Lemmatised word or '#hashtag'.")
    weight: float = Field(
        ge=0, le=1, description="Weight in the topic relative to its top term (top term = 1)."
    )


class TopicTrend(_Base):
    direction: Direction = Field(
        description=(
            "'rising' when the share of posts in the second half of the window is at least "
            "1.25x the first half's and 1 point higher; 'falling' the mirror; else 'stable'."
        )
    )
    share_first_half: float = Field(
        ge=0, le=1, description=_share("Topic share among posts of the first half")
    )
    share_second_half: float = Field(
        ge=0, le=1, description=_share("Topic share among posts of the second half")
    )
    change: float = Field(
        ge=-1, le=1, description="share_second_half - share_first_half (fraction)."
    )


class Topic(_Base):
    topic_id: int = Field(ge=0, description="Index of the topic in this result.")
    label: str = Field(description="Top 2-3 terms of the topic joined by ' / '.")
    keywords: list[Keyword] = Field(description="Up to 10 top terms, strongest first.")
    posts: int = Field(ge=0, description="Posts whose strongest topic is this one.")
    share: float = Field(ge=0, le=1, description=_share("posts / posts_analyzed"))
    mean_engagement: float = Field(ge=0, description="Mean likes + comments + shares.")
    mean_engagement_rate: float = Field(
        ge=0, le=1, description="Mean engagement / max(author followers, 100), capped at 1."
    )
    mean_sentiment: float = Field(ge=-1, le=1, description="Mean sentiment score (-1..1).")
    trend: TopicTrend = Field(description="First half vs second half of the window.")
    example_post_ids: list[str] = Field(description="Up to 3 posts most typical of the topic.")


class TopicCandidate(_Base):
    k: int = Field(ge=1, description="Number of topics tried.")
    coherence: float = Field(
        ge=-1, le=1, description="Mean NPMI of each topic's top 5 terms (document co-occurrence)."
    )
    diversity: float = Field(
        ge=0, le=1, description="Unique terms among all topics' top 10 / (10 x k)."
    )
    reconstruction_error: float = Field(
        ge=0, description="NMF Frobenius reconstruction error on the selection sample."
    )


class TopicsResult(_Result):
    """Q3: what the posts talk about (NMF topics over TF-IDF of lemmatised tokens)."""

    method: str = Field(description="Topic method, e.g. 'nmf-tfidf' (local) or 'llm'.")
    k: int = Field(ge=0, description="Number of topics chosen (0 when there were too few posts).")
    selection: list[TopicCandidate] = Field(
        description="Candidates tried for k, with coherence x diversity used to choose."
    )
    topics: list[Topic] = Field(description="Topics, largest share first.")
    unassigned_posts: int = Field(
        ge=0, description="Posts with no term in the topic vocabulary (no topic)."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 2500,
                    "method": "nmf-tfidf",
                    "k": 6,
                    "selection": [
                        {
                            "k": 6,
                            "coherence": 0.24,
                            "diversity": 0.95,
                            "reconstruction_error": 41.2,
                        }
                    ],
                    "topics": [
                        {
                            "topic_id": 0,
                            "label": "tarjeta / bloquear / débito",
                            "keywords": [
                                {"term": "tarjeta", "weight": 1.0},
                                {"term": "bloquear", "weight": 0.41},
                            ],
                            "posts": 480,
                            "share": 0.192,
                            "mean_engagement": 37.5,
                            "mean_engagement_rate": 0.021,
                            "mean_sentiment": -0.22,
                            "trend": {
                                "direction": "rising",
                                "share_first_half": 0.15,
                                "share_second_half": 0.23,
                                "change": 0.08,
                            },
                            "example_post_ids": ["c0a8012e-55b1-4c3f-9d7e-3e1e2f9a7b10"],
                        }
                    ],
                    "unassigned_posts": 35,
                    "notes": [],
                }
            ]
        }
    )


# --------------------------------------------------------------------------- Q4 frames


class FrameStat(_Base):
    frame: Frame = Field(
        description=(
            "Narrative frame: conflict, human_interest, economic, morality, responsibility, "
            "or brand (the brand's own promotional/product framing)."
        )
    )
    posts: int = Field(ge=0, description="Posts using this frame (a post may use several).")
    share: float = Field(ge=0, le=1, description=_share("posts / posts_analyzed"))
    own_posts: int = Field(ge=0, description="Of those, posts by the brand's own accounts.")
    mean_engagement: float = Field(ge=0, description="Mean likes + comments + shares.")
    mean_engagement_rate: float = Field(
        ge=0, le=1, description="Mean engagement / max(author followers, 100), capped at 1."
    )
    mean_sentiment: float = Field(ge=-1, le=1, description="Mean sentiment score (-1..1).")
    negative_share: float = Field(
        ge=0, le=1, description=_share("Share of this frame's posts labelled negative")
    )
    examples: list[PostExample] = Field(
        description="Up to 3 of the most engaging posts using the frame (score = sentiment)."
    )


class FramesResult(_Result):
    """Q4: how the posts frame the brand (lexicon-detected narrative frames)."""

    frames: list[FrameStat] = Field(description="The six frames, most used first.")
    posts_without_frame: int = Field(ge=0, description="Posts in which no frame was detected.")
    dominant_frame: Frame | None = Field(
        description="Most used frame (null when no frame was detected)."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 2500,
                    "frames": [
                        {
                            "frame": "economic",
                            "posts": 640,
                            "share": 0.256,
                            "own_posts": 210,
                            "mean_engagement": 88.1,
                            "mean_engagement_rate": 0.018,
                            "mean_sentiment": 0.05,
                            "negative_share": 0.27,
                            "examples": [
                                {
                                    "post_id": "1d3c5e7a-9b0f-4a2c-8e6d-4f1b3a5c7e90",
                                    "platform": "facebook",
                                    "published_at": "2025-04-11T15:02:00Z",
                                    "text": "Qué asco de servicio, cobran S/ 2,600 y encima te "
                                    "tratan mal.",
                                    "score": -0.84,
                                    "engagement": 412,
                                }
                            ],
                        }
                    ],
                    "posts_without_frame": 910,
                    "dominant_frame": "economic",
                    "notes": [],
                }
            ]
        }
    )


# --------------------------------------------------------------------------- Q5 influencers


class InfluencerStat(_Base):
    handle: str = Field(description="Author handle without '@'.")
    platforms: list[str] = Field(description="Platforms the author posted on.")
    followers: int = Field(ge=0, description="Largest follower count seen for the author.")
    posts: int = Field(ge=0, description="Posts by the author in the window.")
    total_engagement: int = Field(ge=0, description="Sum of likes + comments + shares.")
    mean_engagement_rate: float = Field(
        ge=0, le=1, description="Mean engagement / max(followers, 100), capped at 1."
    )
    mean_sentiment: float = Field(ge=-1, le=1, description="Mean sentiment of their posts.")
    brand_mention_posts: int = Field(
        ge=0,
        description="Their posts naming the brand (handle, @mention, hashtag or name).",
    )
    stance: Stance = Field(
        description=(
            "From the mean sentiment of their posts naming the brand (all their posts if "
            "none does): >= 0.2 supportive, <= -0.2 critical, else neutral."
        )
    )
    influence_score: float = Field(
        ge=0,
        le=1,
        description=(
            "0.5 x log(1+followers)/log(1+max followers) + 0.5 x log(1+engagement)/"
            "log(1+max engagement), over the authors in the window."
        ),
    )


class MentionedAccount(_Base):
    handle: str = Field(description="Mentioned account without '@' (the brand's excluded).")
    mentions: int = Field(ge=0, description="Posts mentioning it.")
    total_engagement: int = Field(ge=0, description="Engagement of the posts mentioning it.")
    mean_sentiment: float = Field(
        ge=-1, le=1, description="Mean sentiment of the posts mentioning it."
    )
    stance: Stance = Field(
        description="From that mean sentiment: >= 0.2 supportive, <= -0.2 critical, else neutral."
    )


class InfluencersResult(_Result):
    """Q5: who drives the conversation about the brand (authors other than the brand).

    `posts_analyzed` counts posts by authors other than the brand.
    """

    authors: list[InfluencerStat] = Field(
        description="Up to 10 authors ranked by influence_score (reach and engagement)."
    )
    mentioned_accounts: list[MentionedAccount] = Field(
        description="Up to 10 most mentioned accounts other than the brand's."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 1980,
                    "authors": [
                        {
                            "handle": "karlatrefit",
                            "platforms": ["instagram", "tiktok"],
                            "followers": 168648,
                            "posts": 14,
                            "total_engagement": 31877,
                            "mean_engagement_rate": 0.0135,
                            "mean_sentiment": 0.46,
                            "brand_mention_posts": 11,
                            "stance": "supportive",
                            "influence_score": 0.97,
                        }
                    ],
                    "mentioned_accounts": [
                        {
                            "handle": "diegotrail",
                            "mentions": 9,
                            "total_engagement": 2310,
                            "mean_sentiment": 0.61,
                            "stance": "supportive",
                        }
                    ],
                    "notes": [],
                }
            ]
        }
    )


# --------------------------------------------------------------------------- Q6 opportunities


class Opportunity(_Base):
    dimension: Literal["topic", "content_type", "platform", "time_slot", "language"] = Field(
        description="Kind of segment: topic, content type, platform, weekday x hour slot, language."
    )
    segment: str = Field(
        description="The segment, e.g. 'reel', 'tiktok', 'Thursday 19:00-21:59', a topic label."
    )
    posts: int = Field(ge=0, description="Posts in the segment.")
    volume_share: float = Field(
        ge=0, le=1, description=_share("posts / posts compared in this dimension")
    )
    mean_engagement_rate: float = Field(
        ge=0, le=1, description="Mean engagement rate of the segment."
    )
    lift: float = Field(
        ge=0, description="Segment mean engagement rate / baseline mean engagement rate."
    )
    gap_score: float = Field(
        ge=0,
        description=(
            "(lift - 1) x (1 - volume_share): how much better the segment engages than the "
            "baseline, weighted by how little it is used. Higher = bigger opportunity."
        ),
    )
    evidence: list[Figure] = Field(description="The figures the opportunity rests on.")
    action: str = Field(
        description="Suggested action in the tenant's language, filled in from the figures."
    )


class OpportunitiesResult(_Result):
    """Q6: segments that engage well above the baseline but are little used."""

    basis: Literal["own", "all"] = Field(
        description=(
            "Posts compared for content type, platform, time slot and language: the brand's "
            "own posts, or all posts when there are too few own posts. Topics use all posts."
        )
    )
    baseline_engagement_rate: float = Field(
        ge=0, le=1, description="Mean engagement rate of the compared posts."
    )
    opportunities: list[Opportunity] = Field(description="Up to 8, highest gap_score first.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 2500,
                    "basis": "own",
                    "baseline_engagement_rate": 0.021,
                    "opportunities": [
                        {
                            "dimension": "content_type",
                            "segment": "reel",
                            "posts": 31,
                            "volume_share": 0.062,
                            "mean_engagement_rate": 0.047,
                            "lift": 2.24,
                            "gap_score": 1.16,
                            "evidence": [
                                {"name": "posts", "value": 31, "unit": "posts"},
                                {"name": "volume share", "value": 0.062, "unit": "share"},
                                {
                                    "name": "mean engagement rate",
                                    "value": 0.047,
                                    "unit": "rate",
                                },
                                {"name": "lift over baseline", "value": 2.24, "unit": "ratio"},
                            ],
                            "action": "Publicar más contenido de tipo «reel»: logra 2,2x la "
                            "tasa de interacción media (4,7 % frente a 2,1 %) y solo es el "
                            "6,2 % de las publicaciones.",
                        }
                    ],
                    "notes": [],
                }
            ]
        }
    )


# --------------------------------------------------------------------------- Q7 sentiment


class PlatformSentiment(_Base):
    platform: str = Field(description="Platform name.")
    posts: int = Field(ge=0, description="Posts on this platform.")
    positive_share: float = Field(ge=0, le=1, description=_share("Positive posts"))
    neutral_share: float = Field(ge=0, le=1, description=_share("Neutral posts"))
    negative_share: float = Field(ge=0, le=1, description=_share("Negative posts"))
    net_score: float = Field(ge=-1, le=1, description="positive_share - negative_share.")


class SentimentPeriod(_Base):
    period_start: date = Field(description="Day (or Monday of the week) in the tenant's time zone.")
    posts: int = Field(ge=0, description="Posts in the period.")
    positive_share: float = Field(ge=0, le=1, description=_share("Positive posts"))
    neutral_share: float = Field(ge=0, le=1, description=_share("Neutral posts"))
    negative_share: float = Field(ge=0, le=1, description=_share("Negative posts"))
    net_score: float = Field(ge=-1, le=1, description="positive_share - negative_share.")


class SentimentSpike(_Base):
    day: date = Field(description="Day of the spike in the tenant's time zone.")
    kind: Literal["negative_share", "negative_volume"] = Field(
        description="Which daily series spiked: the share or the number of negative posts."
    )
    z_score: float = Field(
        description="(day value - mean of daily values) / their standard deviation; > 2."
    )
    value: float = Field(description="The day's value (share as a fraction, or a count).")
    negative_posts: int = Field(ge=0, description="Negative posts that day.")
    posts: int = Field(ge=0, description="All posts that day.")


class SentimentResult(_Result):
    """Q7: how positive or negative the posts are, where, when, and the spikes."""

    positive: int = Field(ge=0, description="Posts labelled positive.")
    neutral: int = Field(ge=0, description="Posts labelled neutral.")
    negative: int = Field(ge=0, description="Posts labelled negative.")
    positive_share: float = Field(ge=0, le=1, description=_share("Positive posts"))
    neutral_share: float = Field(ge=0, le=1, description=_share("Neutral posts"))
    negative_share: float = Field(ge=0, le=1, description=_share("Negative posts"))
    net_score: float = Field(ge=-1, le=1, description="positive_share - negative_share.")
    mean_score: float = Field(ge=-1, le=1, description="Mean per-post sentiment score.")
    by_platform: list[PlatformSentiment] = Field(description="Per platform, most posts first.")
    granularity: Literal["day", "week"] = Field(
        description="Bucket of over_time: days for windows up to 31 days, else weeks."
    )
    over_time: list[SentimentPeriod] = Field(description="Sentiment per period, oldest first.")
    spikes: list[SentimentSpike] = Field(
        description="Days whose negative share or negative volume has a z-score above 2."
    )
    most_positive: list[PostExample] = Field(description="Up to 5 most positive posts.")
    most_negative: list[PostExample] = Field(description="Up to 5 most negative posts.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 2500,
                    "positive": 1010,
                    "neutral": 880,
                    "negative": 610,
                    "positive_share": 0.404,
                    "neutral_share": 0.352,
                    "negative_share": 0.244,
                    "net_score": 0.16,
                    "mean_score": 0.08,
                    "by_platform": [
                        {
                            "platform": "x",
                            "posts": 700,
                            "positive_share": 0.3,
                            "neutral_share": 0.31,
                            "negative_share": 0.39,
                            "net_score": -0.09,
                        }
                    ],
                    "granularity": "week",
                    "over_time": [
                        {
                            "period_start": "2025-03-03",
                            "posts": 101,
                            "positive_share": 0.41,
                            "neutral_share": 0.36,
                            "negative_share": 0.23,
                            "net_score": 0.18,
                        }
                    ],
                    "spikes": [
                        {
                            "day": "2025-04-15",
                            "kind": "negative_volume",
                            "z_score": 4.1,
                            "value": 38,
                            "negative_posts": 38,
                            "posts": 61,
                        }
                    ],
                    "most_positive": [],
                    "most_negative": [],
                    "notes": [],
                }
            ]
        }
    )


# --------------------------------------------------------------------------- Q8 temporal


class HeatCell(_Base):
    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday (tenant time zone).")
    hour: int = Field(ge=0, le=23, description="Hour of day 0..23 (tenant time zone).")
    posts: int = Field(ge=0, description="Posts published in this weekday x hour cell.")
    own_posts: int = Field(ge=0, description="Of those, posts by the brand's own accounts.")
    mean_engagement: float = Field(ge=0, description="Mean likes + comments + shares (0 if empty).")
    mean_engagement_rate: float = Field(
        ge=0, le=1, description="Mean engagement / max(author followers, 100), capped at 1."
    )


class TimeWindow(_Base):
    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday.")
    hour: int = Field(ge=0, le=23, description="Hour of day (tenant time zone).")
    label: str = Field(description="Readable slot in the tenant's language, e.g. 'jueves 19:00'.")
    posts: int = Field(ge=0, description="Posts in the slot (of the basis).")
    mean_engagement_rate: float = Field(ge=0, le=1, description="Mean engagement rate of the slot.")
    lift: float = Field(ge=0, description="Slot rate / mean rate of the basis.")


class WeekPoint(_Base):
    week_start: date = Field(description="Monday of the week (tenant time zone).")
    posts: int = Field(ge=0, description="Posts that week.")
    mean_engagement: float = Field(ge=0, description="Mean likes + comments + shares that week.")


class Trend(_Base):
    slope_per_week: float = Field(
        description="Least-squares slope per week (posts/week, or engagement per post/week)."
    )
    relative_slope: float = Field(
        description="slope / mean weekly value: 0.05 = grows 5% of the mean per week."
    )
    direction: Direction = Field(
        description="'rising' if relative_slope >= 0.02, 'falling' if <= -0.02, else 'stable'."
    )


class TemporalResult(_Result):
    """Q8: when posts are published and when they engage (tenant time zone)."""

    timezone: str = Field(description="IANA time zone the weekdays and hours are in.")
    cells: list[HeatCell] = Field(description="All 168 weekday x hour cells, Monday 0:00 first.")
    best_windows_basis: Literal["own", "all"] = Field(
        description="Posts the best windows are ranked on: own posts, or all if too few."
    )
    best_windows: list[TimeWindow] = Field(
        description="Up to 3 slots with the highest engagement rate among slots with enough posts."
    )
    weekly: list[WeekPoint] = Field(description="Weekly volume and engagement, oldest first.")
    volume_trend: Trend | None = Field(
        description="Trend of weekly post volume (null with fewer than 3 weeks)."
    )
    engagement_trend: Trend | None = Field(
        description="Trend of weekly mean engagement (null with fewer than 3 weeks)."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 2500,
                    "timezone": "America/Lima",
                    "cells": [
                        {
                            "weekday": 3,
                            "hour": 19,
                            "posts": 41,
                            "own_posts": 9,
                            "mean_engagement": 310.2,
                            "mean_engagement_rate": 0.034,
                        }
                    ],
                    "best_windows_basis": "own",
                    "best_windows": [
                        {
                            "weekday": 3,
                            "hour": 19,
                            "label": "jueves 19:00",
                            "posts": 9,
                            "mean_engagement_rate": 0.041,
                            "lift": 1.9,
                        }
                    ],
                    "weekly": [{"week_start": "2025-03-03", "posts": 96, "mean_engagement": 120.4}],
                    "volume_trend": {
                        "slope_per_week": 1.8,
                        "relative_slope": 0.019,
                        "direction": "stable",
                    },
                    "engagement_trend": {
                        "slope_per_week": -3.2,
                        "relative_slope": -0.027,
                        "direction": "falling",
                    },
                    "notes": [],
                }
            ]
        }
    )


# --------------------------------------------------------------------------- Q9 recommendations


class Citation(_Base):
    source: SourceKey = Field(
        description="Question whose stored result the figure comes from, or 'posts'."
    )
    figure: str = Field(description="The figure as shown, e.g. 'negative share 34%'.")


class Recommendation(_Base):
    priority: int = Field(ge=1, description="1 = do first.")
    level: Literal["high", "medium", "low"] = Field(description="Urgency of the action.")
    area: Literal["reputation", "content", "community", "timing", "influencers", "positioning"] = (
        Field(description="What the action is about.")
    )
    action: str = Field(description="The action, in the tenant's language.")
    evidence: list[Citation] = Field(description="Figures the action rests on (at least one).")


class RecommendationsResult(_Result):
    """Q9: prioritised actions built from the stored results of Q1..Q8."""

    language: Literal["es", "en"] = Field(description="Language of the texts.")
    recommendations: list[Recommendation] = Field(description="Actions, priority 1 first.")
    inputs_used: list[str] = Field(description="Question keys whose results were used.")
    missing_inputs: list[str] = Field(
        description="Question keys among q1..q8 with no usable stored result."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 2500,
                    "language": "en",
                    "recommendations": [
                        {
                            "priority": 1,
                            "level": "high",
                            "area": "reputation",
                            "action": "Set up a daily complaint-response routine: 34% of "
                            "posts are negative.",
                            "evidence": [{"source": "q7", "figure": "negative share 34%"}],
                        }
                    ],
                    "inputs_used": ["q1", "q3", "q5", "q6", "q7", "q8"],
                    "missing_inputs": ["q2", "q4"],
                    "notes": [],
                }
            ]
        }
    )


# --------------------------------------------------------------------------- Q10 summary


class SummaryKpis(_Base):
    posts: int = Field(ge=0, description="Posts in the window.")
    own_posts: int = Field(ge=0, description="Posts by the brand's own accounts.")
    mentions: int = Field(ge=0, description="Posts by other authors (mentions).")
    total_engagement: int = Field(ge=0, description="Sum of likes + comments + shares.")
    own_engagement: int = Field(ge=0, description="Engagement of the own posts.")
    mentions_engagement: int = Field(ge=0, description="Engagement of the mentions.")
    mean_engagement_rate: float = Field(
        ge=0, le=1, description="Mean engagement / max(author followers, 100), capped at 1."
    )
    positive_share: float = Field(ge=0, le=1, description=_share("Positive posts"))
    negative_share: float = Field(ge=0, le=1, description=_share("Negative posts"))
    net_sentiment: float = Field(ge=-1, le=1, description="positive_share - negative_share.")
    top_emotion: Emotion | None = Field(
        description="Most frequent non-neutral emotion (null if none)."
    )
    top_topic: str | None = Field(description="Label of the largest topic (null if none).")


class SummaryResult(_Result):
    """Q10: executive summary with headline KPIs, findings, risks and opportunities."""

    language: Literal["es", "en"] = Field(description="Language of the texts.")
    headline: str = Field(description="One sentence with the key figures.")
    kpis: SummaryKpis = Field(description="Headline KPIs computed from the posts.")
    findings: list[str] = Field(description="Main findings, each with its figure.")
    risks: list[str] = Field(description="Risks, each with its figure.")
    opportunities: list[str] = Field(description="Opportunities, each with its figure.")
    missing_inputs: list[str] = Field(
        description="Question keys among q1..q8 with no usable stored result."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 2500,
                    "language": "es",
                    "headline": "2.500 publicaciones (500 propias, 2.000 menciones); "
                    "sentimiento neto +16 pts; emoción principal: alegría.",
                    "kpis": {
                        "posts": 2500,
                        "own_posts": 500,
                        "mentions": 2000,
                        "total_engagement": 1840220,
                        "own_engagement": 1610400,
                        "mentions_engagement": 229820,
                        "mean_engagement_rate": 0.019,
                        "positive_share": 0.404,
                        "negative_share": 0.244,
                        "net_sentiment": 0.16,
                        "top_emotion": "joy",
                        "top_topic": "tarjeta / bloquear / débito",
                    },
                    "findings": [
                        "El tema «tarjeta / bloquear / débito» reúne el 19,2 % de las "
                        "publicaciones y va en aumento (15,0 % → 23,0 %)."
                    ],
                    "risks": ["El 24,4 % de las publicaciones son negativas."],
                    "opportunities": [
                        "Contenido de tipo «reel»: 2,2x la tasa de interacción media con "
                        "solo el 6,2 % del volumen."
                    ],
                    "missing_inputs": [],
                    "notes": [],
                }
            ]
        }
    )


RESULT_MODELS: dict[str, type[BaseModel]] = {
    "q1": EmotionsResult,
    "q2": PersonalityResult,
    "q3": TopicsResult,
    "q4": FramesResult,
    "q5": InfluencersResult,
    "q6": OpportunitiesResult,
    "q7": SentimentResult,
    "q8": TemporalResult,
    "q9": RecommendationsResult,
    "q10": SummaryResult,
}
