"""The result model of influencers."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from app.analyses.questions.parts import (
    Part,
    Result,
    Stance,
)


class InfluencerStat(Part):
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


class MentionedAccount(Part):
    handle: str = Field(description="Mentioned account without '@' (the brand's excluded).")
    mentions: int = Field(ge=0, description="Posts mentioning it.")
    total_engagement: int = Field(ge=0, description="Engagement of the posts mentioning it.")
    mean_sentiment: float = Field(
        ge=-1, le=1, description="Mean sentiment of the posts mentioning it."
    )
    stance: Stance = Field(
        description="From that mean sentiment: >= 0.2 supportive, <= -0.2 critical, else neutral."
    )


class InfluencersResult(Result):
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
