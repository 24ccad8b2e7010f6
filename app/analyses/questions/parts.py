"""Building blocks of the question result models.

One Pydantic model per question is the API response, the stored JSON and the JSON schema
an LLM engine must fill, so the models are strict: no free-form dicts, lists of small
objects instead, shares as floats in 0..1, sentiment in -1..1, every field described and
required (nullable where a value may be missing). Every result carries `posts_analyzed`
and `notes` (plain statements about data limits, never model chatter).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.ai.local.text import copy_key
from app.analyses.records import PostRecord
from app.analyses.statistics import MIN_SAMPLE_POSTS, Direction, Stance, clamp
from app.analyses.window import Window
from app.analyses.wording import fmt_num

__all__ = [
    "Direction",
    "Emotion",
    "Figure",
    "Part",
    "PostExample",
    "Result",
    "Stance",
    "TermCount",
    "engaged_posts",
    "engagement_basis",
    "example",
    "pick_examples",
    "share_doc",
    "short_text",
    "volume_notes",
]

Emotion = Literal["anger", "disgust", "fear", "joy", "sadness", "surprise", "trust", "neutral"]

_POSTS_ANALYZED = "Number of posts the figures of this result are computed on."
_NOTES = (
    "Plain statements about the data and its limits (for example 'Only 12 posts in the "
    "window; shares are unstable'); empty when there is nothing to warn about."
)


def share_doc(what: str) -> str:
    return f"{what} (fraction 0..1, not a percentage)."


class Part(BaseModel):
    """A strict piece of a result (unknown fields are an error)."""

    model_config = ConfigDict(extra="forbid")


class Result(Part):
    """What every question's result carries."""

    posts_analyzed: int = Field(ge=0, description=_POSTS_ANALYZED)
    notes: list[str] = Field(description=_NOTES)


class PostExample(Part):
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


class Figure(Part):
    """One named number backing a statement."""

    name: str = Field(description="What the number is, e.g. 'mean engagement rate'.")
    value: float = Field(description="The number itself (shares and rates as fractions).")
    unit: Literal["posts", "share", "rate", "ratio", "score", "count"] = Field(
        description=(
            "'posts' or 'count' for counts, 'share' and 'rate' for fractions 0..1, 'ratio' "
            "for multiples (1.8 = 80% above the baseline), 'score' for other indices."
        )
    )


class TermCount(Part):
    term: str = Field(description="A word or phrase as written in the lexicon.")
    count: int = Field(ge=0, description="How many times it was found.")


# --------------------------------------------------------------------------- examples

EXAMPLE_CHARS = 200


def short_text(text: str, limit: int = EXAMPLE_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def example(post: PostRecord, score: float) -> PostExample:
    return PostExample(
        post_id=post.id,
        platform=post.platform,
        published_at=post.published_at,
        text=short_text(post.text),
        score=round(clamp(score, -1.0, 1.0), 4),
        engagement=max(0, post.engagement),
    )


def pick_examples(
    posts: Sequence[PostRecord],
    score: Callable[[PostRecord], float],
    k: int = 3,
    *,
    reverse: bool = True,
    shown: Callable[[PostRecord], float] | None = None,
) -> list[PostExample]:
    """The k posts with the highest (or lowest) score; ties by engagement, then id.

    Texts that repeat (retweets, templates, links aside) are shown once, by a post that
    is not a retweet when there is one. The example's `score` is `shown(post)` when given
    (e.g. rank by engagement, show sentiment), else the score.
    """
    sign = -1.0 if reverse else 1.0
    ranked = sorted(posts, key=lambda p: (sign * score(p), p.is_retweet, -p.engagement, p.id))
    out: list[PostExample] = []
    seen: set[str] = set()
    for p in ranked:
        key = copy_key(p.text)
        if key in seen:
            continue
        seen.add(key)
        out.append(example(p, (shown or score)(p)))
        if len(out) >= k:
            break
    return out


# --------------------------------------------------------------------------- engagement

MIN_OWN_POSTS = MIN_SAMPLE_POSTS  # fewer of the brand's own posts: compare all posts


def engaged_posts(window: Window) -> list[int]:
    """The posts whose engagement is compared (Q6's segments, Q8's slots): each text once
    (`window.originals`: a text posted many times would weigh its segment as many times)
    and no retweet (its engagement belongs to its original; its own is 0 by design and
    would drag a segment's rate down)."""
    posts = window.posts
    return [i for i in window.originals if not posts[i].is_retweet]


def engagement_basis(window: Window) -> tuple[Literal["own", "all"], list[int]]:
    """("own", the brand's own `engaged_posts`) when there are at least `MIN_OWN_POSTS` of
    them, else ("all", every engaged post)."""
    engaged = engaged_posts(window)
    own = [i for i in engaged if window.posts[i].is_own]
    if len(own) >= MIN_OWN_POSTS:
        return "own", own
    return "all", engaged


# --------------------------------------------------------------------------- notes

SMALL_SAMPLE = 30  # fewer posts than this: shares are unstable, say so

_VOLUME_NOTES = {
    "en": {
        "none": "No {what} in the window; nothing to analyse.",
        "few": "Only {n} {what} in the window; shares are unstable.",
        "posts": "posts",
        "others": "posts by other authors",
    },
    "es": {
        "none": "No hay {what} en la ventana; no hay nada que analizar.",
        "few": "Solo hay {n} {what} en la ventana; las proporciones son inestables.",
        "posts": "publicaciones",
        "others": "publicaciones de otros autores",
    },
}


def volume_notes(
    n: int, *, lang: str = "en", what: Literal["posts", "others"] = "posts"
) -> list[str]:
    """What a result says when it rests on no or few posts (`what`: the window's posts,
    or the posts by authors other than the brand), in `lang` ("es" or "en")."""
    said = _VOLUME_NOTES["es" if lang == "es" else "en"]
    if n == 0:
        return [said["none"].format(what=said[what])]
    if n < SMALL_SAMPLE:
        return [said["few"].format(n=fmt_num(n, lang), what=said[what])]
    return []
