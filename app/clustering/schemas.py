from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.enums import Platform
from app.core.schemas import Count, StrictModel, UtcDatetime

_RATES_EXAMPLE: dict[str, Any] = {"likes": 48.5, "comments": 5.2, "shares": 384.3, "views": 5069.3}
_CLUSTER_EXAMPLE: dict[str, Any] = {
    "index": 0,
    "name": "high shares, high views",
    "size": 12,
    "share": 0.44,
    "profile": {"likes": 1.09, "comments": -0.31, "shares": 1.11, "views": 0.93},
    "centroid_per_1k": _RATES_EXAMPLE,
    "mean_counts": {"likes": 101.0, "comments": 10.0, "shares": 790.0, "views": 10400.0},
    "median_audience": 2050.0,
    "distinct": 10,
    "retweets": 2,
    "terms": ["sorteo", "premio"],
}


class ClusterTrain(StrictModel):
    """Which posts to cluster, and optionally how many clusters."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "since": "2026-01-01T00:00:00Z",
                    "until": "2026-04-01T00:00:00Z",
                    "platforms": ["instagram", "tiktok"],
                },
                {"k": 4},
            ]
        },
    )

    since: UtcDatetime | None = Field(default=None, description="published_at >= since")
    until: UtcDatetime | None = Field(default=None, description="published_at < until")
    platforms: list[Platform] | None = Field(default=None, min_length=1, max_length=6)
    k: int | None = Field(
        default=None,
        ge=2,
        le=12,
        description="Number of clusters; default: the best of 2..8 by silhouette",
    )

    @model_validator(mode="after")
    def _window(self) -> ClusterTrain:
        if self.since and self.until and self.since >= self.until:
            raise ValueError("since must be before until")
        return self


Rates = Annotated[dict[str, float], Field(examples=[_RATES_EXAMPLE])]


class ClusterOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CLUSTER_EXAMPLE]})

    index: int
    name: str = Field(
        description="What sets the cluster apart from the other clusters (its most "
        "distinctive features, then words), in the tenant's language; distinct within a "
        "clustering"
    )
    size: int = Field(
        description="Posts in the cluster at training time, retweets and copies included"
    )
    share: float = Field(description="size / n_posts")
    profile: Rates = Field(description="Centroid in standard deviations from the mean post")
    centroid_per_1k: Rates = Field(description="Centroid per 1,000 audience (original units)")
    mean_counts: Rates = Field(
        description="Average counts of the cluster's distinct texts (a retweet counts zero)"
    )
    median_audience: float
    distinct: int | None = Field(
        default=None,
        description="Distinct texts in the cluster (null: trained before copies counted once)",
    )
    retweets: int | None = Field(
        default=None, description="Posts of the cluster that are retweets (null: not counted)"
    )
    terms: list[str] = Field(
        default_factory=list, description="Words far more common here than in other clusters"
    )


class ClusterModelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: uuid.UUID
    version: int
    k: int
    k_selection: str = Field(description="`silhouette` (chosen among 2..8) or `given`")
    silhouette: float = Field(description="Mean silhouette of the kept clustering (-1..1)")
    n_posts: int = Field(description="Posts of the selection; each is assigned a cluster")
    n_clustered: int = Field(
        description="Distinct original texts clustered: copies of one text (retweets, posts "
        "flagged `is_retweet`, identical texts) count once and follow their original's "
        "cluster; texts known only from retweets are placed with zero engagement"
    )
    retweets: int | None = Field(
        description='Posts that are retweets (flagged, or "RT @user: ..."); their own '
        "engagement counts zero. null: trained before copies were counted"
    )
    duplicates: int | None = Field(
        description="Posts that repeat another post's text without being retweets"
    )
    filters: dict[str, Any]
    parameters: dict[str, Any] = Field(
        description="Scaler means/stds, centroids (standard units), names, silhouette by k"
    )
    clusters: list[ClusterOut]
    created_at: datetime


class ClusterPostOut(BaseModel):
    post_id: uuid.UUID
    cluster: int
    cluster_name: str
    distance: float = Field(description="To the cluster's centroid, in standard units")
    account_id: uuid.UUID
    platform: Platform
    published_at: datetime
    author_handle: str
    author_followers: int
    reach: int
    likes: int
    comments: int
    shares: int
    views: int
    text: str
    is_retweet: bool = Field(
        description='A retweet (flagged, or "RT @user: ..."): listed in its original\'s '
        "cluster with the original's distance, or with zero engagement of its own"
    )


_AUDIENCE: dict[str, Any] = {"type": "integer", "minimum": 1}


class AssignIn(StrictModel):
    """A post's engagement; the audience is author_followers, else reach."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            # The audience rule (`_audience`), in the schema: one of them above 0.
            "anyOf": [
                {"required": ["author_followers"], "properties": {"author_followers": _AUDIENCE}},
                {"required": ["reach"], "properties": {"reach": _AUDIENCE}},
            ],
            "examples": [
                {
                    "likes": 95,
                    "comments": 9,
                    "shares": 780,
                    "views": 10200,
                    "author_followers": 2000,
                }
            ],
        },
    )

    likes: Count = 0
    comments: Count = 0
    shares: Count = 0
    views: Count = 0
    author_followers: Count | None = None
    reach: Count | None = None

    @model_validator(mode="after")
    def _audience(self) -> AssignIn:
        if not (self.author_followers or self.reach):
            raise ValueError("give author_followers or reach (greater than 0)")
        return self


class ClusterDistance(BaseModel):
    cluster: int
    name: str
    distance: float


class AssignOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "model_id": "5b0c7e0e-8f0b-4a53-9d1e-2b1f0c7e9a10",
                    "version": 2,
                    "cluster": 0,
                    "name": "high shares, high views",
                    "per_1k": _RATES_EXAMPLE,
                    "distances": [
                        {"cluster": 0, "name": "high shares, high views", "distance": 0.12},
                        {"cluster": 1, "name": "low engagement", "distance": 3.9},
                    ],
                }
            ]
        }
    )

    model_id: uuid.UUID
    version: int
    cluster: int
    name: str
    per_1k: Rates = Field(description="The post's engagement per 1,000 audience")
    distances: list[ClusterDistance] = Field(description="Nearest first, in standard units")
