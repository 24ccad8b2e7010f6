"""The result model of influencers."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from app.analyses.brand import Role
from app.analyses.questions.parts import (
    Part,
    Result,
    Stance,
)

_ROLE = (
    "Whose voice the account is: 'competitor' (an account of one of the client's "
    "competitors), 'media' (a news outlet, sports medium or public institution), 'voice' "
    "(anyone else), 'brand' (the brand's own). Only a 'voice' may be proposed as a partner."
)


class InfluencerStat(Part):
    handle: str = Field(description="Author handle without '@'.")
    role: Role = Field(description=_ROLE)
    platforms: list[str] = Field(description="Platforms the author posted on.")
    followers: int = Field(ge=0, description="Largest follower count seen for the author.")
    posts: int = Field(
        ge=0,
        description=(
            "Distinct texts of the author in the window: posted by them or retweeted by "
            "others (a text repeated or retweeted counts once; their own retweets of "
            "others do not count)."
        ),
    )
    retweets: int = Field(ge=0, description="Retweets of the author's texts in the window.")
    total_engagement: int = Field(
        ge=0,
        description=(
            "Likes + comments + shares of their texts, each text once; a text retweeted "
            "counts the engagement its retweets carry (the original's), not the retweeters'."
        ),
    )
    mean_engagement_rate: float = Field(
        ge=0,
        le=1,
        description="Mean engagement / max(followers, 100), capped at 1, of the texts they "
        "posted (0 when the window only has retweets of them).",
    )
    mean_sentiment: float = Field(ge=-1, le=1, description="Mean sentiment of their texts.")
    brand_mention_posts: int = Field(
        ge=0,
        description="Their posts naming the brand (handle, @mention, hashtag or name).",
    )
    brand_mean_sentiment: float | None = Field(
        ge=-1,
        le=1,
        description="Mean sentiment of their texts naming the brand; null when none does.",
    )
    stance: Stance | None = Field(
        description=(
            "Toward the brand, from the mean sentiment of their texts naming it: >= 0.2 "
            "supportive, <= -0.2 critical, else neutral; null when none of their texts "
            "names the brand (no stance)."
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


class MentionedAccount(Part):
    handle: str = Field(description="Mentioned account without '@' (the brand's excluded).")
    role: Role = Field(description=_ROLE)
    mentions: int = Field(ge=0, description="Distinct texts mentioning it.")
    total_engagement: int = Field(ge=0, description="Engagement of the posts mentioning it.")
    mean_sentiment: float = Field(
        ge=-1, le=1, description="Mean sentiment of the posts mentioning it."
    )
    stance: Stance = Field(
        description="From that mean sentiment: >= 0.2 supportive, <= -0.2 critical, else neutral."
    )


class InfluencersResult(Result):
    """Q5: who drives the conversation about the brand (authors other than the brand).

    `posts_analyzed` counts the distinct texts of authors other than the brand.
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
                            "role": "voice",
                            "platforms": ["instagram", "tiktok"],
                            "followers": 168648,
                            "posts": 14,
                            "retweets": 3,
                            "total_engagement": 31877,
                            "mean_engagement_rate": 0.0135,
                            "mean_sentiment": 0.46,
                            "brand_mention_posts": 11,
                            "brand_mean_sentiment": 0.52,
                            "stance": "supportive",
                            "influence_score": 0.97,
                        }
                    ],
                    "mentioned_accounts": [
                        {
                            "handle": "diegotrail",
                            "role": "voice",
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
