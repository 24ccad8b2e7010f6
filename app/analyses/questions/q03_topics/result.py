"""The result model of topics."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from app.analyses.questions.parts import (
    Direction,
    Part,
    Result,
    share_doc,
)


class Keyword(Part):
    term: str = Field(description="Lemmatised word or '#hashtag'.")
    weight: float = Field(
        ge=0, le=1, description="Weight in the topic relative to its top term (top term = 1)."
    )


class TopicTrend(Part):
    direction: Direction = Field(
        description=(
            "'rising' when the share of posts in the second half of the window is at least "
            "1.25x the first half's and 1 point higher; 'falling' the mirror; else 'stable'."
        )
    )
    share_first_half: float = Field(
        ge=0, le=1, description=share_doc("Topic share among posts of the first half")
    )
    share_second_half: float = Field(
        ge=0, le=1, description=share_doc("Topic share among posts of the second half")
    )
    change: float = Field(
        ge=-1, le=1, description="share_second_half - share_first_half (fraction)."
    )


class Topic(Part):
    topic_id: int = Field(ge=0, description="Index of the topic in this result.")
    label: str = Field(
        description="The topic's two most distinctive terms (a word pair such as 'tarjeta de "
        "crédito' counts as one) joined by ' / '; greetings and customer-service phrases are "
        "never used. The posts list filters on it: `?topic=<label>`."
    )
    keywords: list[Keyword] = Field(description="Up to 10 top terms, strongest first.")
    posts: int = Field(
        ge=0,
        description="Posts whose topic this is (each post has one topic, its text's "
        "strongest; retweets and copies take their original's). The posts list's "
        "`?topic=<label>` returns these same posts.",
    )
    distinct_texts: int = Field(
        ge=0,
        description="The topic's size: its posts counting each text once (a retweet or a "
        "copy is its original's text).",
    )
    share: float = Field(ge=0, le=1, description=share_doc("posts / posts_analyzed"))
    mean_engagement: float = Field(ge=0, description="Mean likes + comments + shares.")
    mean_engagement_rate: float = Field(
        ge=0, le=1, description="Mean engagement / max(author followers, 100), capped at 1."
    )
    mean_sentiment: float = Field(
        ge=-1, le=1, description="Mean sentiment score (-1..1) of its distinct texts."
    )
    trend: TopicTrend = Field(description="First half vs second half of the window.")
    example_post_ids: list[str] = Field(
        description="Two posts most typical of the topic, with different texts (originals, "
        "not retweets, where the window has them)."
    )


class TopicCandidate(Part):
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


class TopicsResult(Result):
    """Q3: what the posts talk about (NMF topics over TF-IDF of lemmas and word pairs,
    fitted on each distinct text once). Each post has one topic: `topics[].posts` and the
    posts list's `?topic=<label>` count the same posts."""

    method: str = Field(description="Topic method, e.g. 'nmf-tfidf' (local) or 'llm'.")
    k: int = Field(
        ge=0,
        description="Number of topics found (0 when there were too few posts). The run's "
        "`topics` sets how many are sought; by default more distinct texts, more topics.",
    )
    selection: list[TopicCandidate] = Field(
        description="The fit's quality: coherence and diversity of its topics."
    )
    topics: list[Topic] = Field(description="Topics, most distinct texts first.")
    unassigned_posts: int = Field(
        ge=0,
        description="Posts with no topic: greetings or customer-service phrases only, "
        "templated replies, texts of a catch-all, or words no other text shares.",
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
                            "distinct_texts": 301,
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
