"""The result model of personality."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from app.analyses.questions.parts import (
    Part,
    Result,
    TermCount,
    share_doc,
)


class DimensionScore(Part):
    dimension: PersonalityDimension = Field(description="Aaker brand-personality dimension.")
    score: float = Field(
        ge=0,
        le=1,
        description=share_doc(
            "Share of the brand's own posts using at least one term of this dimension"
        ),
    )
    relative_weight: float = Field(
        ge=0,
        le=1,
        description=share_doc(
            "This dimension's term matches over all dimensions' matches; the five sum to 1 "
            "when any term matched"
        ),
    )
    matched_posts: int = Field(ge=0, description="Own posts with at least one term.")
    matched_terms: list[TermCount] = Field(
        description="Most frequent lexicon terms found (up to 8)."
    )
    example_post_ids: list[str] = Field(description="Up to 3 own posts using these terms.")


class DistinctiveTerm(Part):
    term: str = Field(
        description="A word (lemma) or pair of words of the brand's own posts, e.g. 'app', "
        "'pago innovador'."
    )
    own_posts: int = Field(ge=0, description="Own posts using it.")
    own_share: float = Field(
        ge=0, le=1, description=share_doc("Share of the brand's own posts using it")
    )
    other_share: float = Field(
        ge=0, le=1, description=share_doc("Share of everyone else's posts using it")
    )


PersonalityDimension = Literal[
    "sincerity", "excitement", "competence", "sophistication", "ruggedness"
]


class PersonalityResult(Result):
    """Q2: the brand personality its own posts project (Aaker's five dimensions).

    `posts_analyzed` counts the brand's own posts only: flagged as its own or written by
    one of its handles, retweets left out, each text once. Customer-service boilerplate
    (greetings, thanks, requests for details) is not evidence. With fewer than
    `min_own_posts` own posts no dimension is named.
    """

    own_posts: int = Field(
        ge=0,
        description="Distinct posts by the brand's own accounts (flagged as its own or written "
        "by one of its handles; retweets left out).",
    )
    min_own_posts: int = Field(
        ge=0, description="Own posts needed before a dominant dimension is named."
    )
    boilerplate_posts: int = Field(
        ge=0,
        description="Own posts made only of customer-service boilerplate (greetings, thanks, "
        "requests for details or a direct message): no evidence of personality.",
    )
    distinctive_terms: list[DistinctiveTerm] = Field(
        description="Up to 10 terms far more frequent in the brand's own posts than in "
        "everyone else's, boilerplate and the brand's names left out, strongest first: the "
        "evidence of its voice (empty below min_own_posts)."
    )
    dimensions: list[DimensionScore] = Field(
        description="The five dimensions, highest score first."
    )
    dominant_dimension: PersonalityDimension | None = Field(
        description="Dimension with the highest score (null when no own post matched any term "
        "or there are fewer than min_own_posts own posts)."
    )
    weakest_dimension: PersonalityDimension | None = Field(
        description="Dimension with the lowest score (null when no own post matched any term "
        "or there are fewer than min_own_posts own posts)."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "posts_analyzed": 248,
                    "own_posts": 248,
                    "min_own_posts": 30,
                    "boilerplate_posts": 121,
                    "distinctive_terms": [
                        {
                            "term": "educación financiera",
                            "own_posts": 19,
                            "own_share": 0.0766,
                            "other_share": 0.0021,
                        },
                        {
                            "term": "app",
                            "own_posts": 27,
                            "own_share": 0.1089,
                            "other_share": 0.0312,
                        },
                    ],
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
                            "matched_terms": [{"term": "comunidad", "count": 18}],
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
