"""The result model of the competitive benchmark."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from app.analyses.questions.parts import Part, PostExample, Result, share_doc


class Theme(Part):
    topic: str = Field(description="A topic label (Q3's topics) of posts naming the contender.")
    posts: int = Field(ge=0, description="Posts naming the contender that carry this topic.")


class Contender(Part):
    """The brand or one competitor, measured on the posts of others that name it."""

    name: str = Field(description="The brand's or the competitor's name.")
    is_brand: bool = Field(description="True for the client's own brand.")
    mentions: int = Field(
        ge=0,
        description="Posts by others (not its own accounts) that name it: by @handle, "
        "#hashtag, name or alias, accent- and case-insensitive, on word boundaries.",
    )
    share_of_voice: float = Field(
        ge=0, le=1, description=share_doc("Its mentions among all contenders' mentions")
    )
    own_posts: int = Field(
        ge=0,
        description="Posts by its own accounts in the window, and retweets of them (they "
        "spread its own voice: not mentions).",
    )
    positive_share: float = Field(ge=0, le=1, description=share_doc("Positive mentions"))
    negative_share: float = Field(ge=0, le=1, description=share_doc("Negative mentions"))
    net_score: float = Field(ge=-1, le=1, description="positive_share - negative_share.")
    mean_engagement: float = Field(
        ge=0,
        description="Mean likes + comments + shares per mention (retweets count 0: their "
        "engagement is the original's).",
    )
    top_themes: list[Theme] = Field(description="Up to 3 most frequent topics of its mentions.")


class BenchmarkResult(Result):
    """Q11: the brand beside each competitor over the same window."""

    contenders: list[Contender] = Field(
        description="The brand first, then each competitor in the client's order."
    )
    mentions_total: int = Field(
        ge=0, description="Posts naming at least one contender (the share of voice's base)."
    )
    both_named: int = Field(ge=0, description="Posts naming the brand and at least one competitor.")
    both_named_examples: list[PostExample] = Field(
        description="Up to 5 posts naming the brand and a competitor, most engaging first "
        "(score: the post's sentiment)."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 2500,
                    "contenders": [
                        {
                            "name": "Banco Andino",
                            "is_brand": True,
                            "mentions": 820,
                            "share_of_voice": 0.41,
                            "own_posts": 120,
                            "positive_share": 0.32,
                            "negative_share": 0.28,
                            "net_score": 0.04,
                            "mean_engagement": 14.2,
                            "top_themes": [{"topic": "app móvil", "posts": 210}],
                        }
                    ],
                    "mentions_total": 2000,
                    "both_named": 95,
                    "both_named_examples": [],
                    "notes": [],
                }
            ]
        }
    )
