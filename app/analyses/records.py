"""A post as the analyses see it: a compact, read-only snapshot of its row.

A window of 100,000 posts is held in memory while it is analysed, so these records are
small: slots, shared values for what repeats (platforms, handles, labels, emotion
vectors) and emotion scores as eight doubles.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.ai.local.text import copy_sources, retweet_of
from app.ai.local.types import EMOTIONS

_EMOTION_INDEX = {e: i for i, e in enumerate(EMOTIONS)}


class EmotionScores(Mapping[str, float]):
    """A post's score per emotion, read-only and compact.

    A window of 100,000 posts holds one of these per post: eight doubles in an array
    (~150 bytes) instead of a dict of eight float objects (~650 bytes). Emotions not in
    `EMOTIONS` are dropped; missing ones read as 0.0.
    """

    __slots__ = ("_values",)

    def __init__(self, scores: Mapping[str, float]) -> None:
        values = array("d", bytes(8 * len(EMOTIONS)))
        for name, score in scores.items():
            index = _EMOTION_INDEX.get(name)
            if index is not None:
                values[index] = float(score)
        self._values = values

    @classmethod
    def of(cls, scores: Mapping[str, float] | None) -> EmotionScores | None:
        """`scores` as EmotionScores (itself when it already is one; None stays None)."""
        if scores is None or isinstance(scores, EmotionScores):
            return scores
        return cls(scores)

    @property
    def key(self) -> bytes:
        """The scores as bytes: equal scores, equal keys (to share one object)."""
        return self._values.tobytes()

    def __getitem__(self, name: str) -> float:
        return self._values[_EMOTION_INDEX[name]]

    def get(self, name: str, default: Any = None) -> Any:
        index = _EMOTION_INDEX.get(name)
        return default if index is None else self._values[index]

    def __iter__(self) -> Iterator[str]:
        return iter(EMOTIONS)

    def __len__(self) -> int:
        return len(EMOTIONS)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EmotionScores):
            return self._values == other._values
        return isinstance(other, Mapping) and dict(self) == dict(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"EmotionScores({dict(self)!r})"


class SharedValues:
    """One object per distinct value across a window: many posts have the same emotion
    scores (every plain neutral post), topics, frames or score. Saves ~10% of a
    100,000-post window."""

    def __init__(self) -> None:
        self._seen: dict[Any, Any] = {}

    def emotions(self, scores: Mapping[str, float] | None) -> EmotionScores | None:
        compact = EmotionScores.of(scores)
        if compact is None:
            return None
        found: EmotionScores = self._seen.setdefault(compact.key, compact)
        return found

    def __call__(self, value: Any) -> Any:
        return self._seen.setdefault(value, value)


@dataclass(frozen=True, slots=True)
class PostRecord:
    """One post as the engines see it (a read-only snapshot of the `post` row)."""

    id: str
    platform: str
    account_handle: str
    author_handle: str
    author_followers: int
    text: str
    published_at: datetime  # timezone-aware UTC
    likes: int
    comments: int
    shares: int
    views: int
    reach: int
    content_type: str
    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]
    is_own: bool
    is_retweet: bool = False  # flagged so on import (the text may also tell: see Window)
    language: str | None = None  # "es" | "en" | "und" once enriched
    # Per-post enrichment, filled by the local engine and stored on the post.
    sentiment_label: str | None = None  # "positive" | "negative" | "neutral"
    sentiment_score: float | None = None  # -1..1
    emotion_label: str | None = None  # one of EMOTIONS
    emotion_scores: Mapping[str, float] | None = None  # EmotionScores when built by us
    topics: tuple[str, ...] = ()
    frames: tuple[str, ...] = ()

    @property
    def engagement(self) -> int:
        """The post's own engagement: likes + comments + shares, 0 for a retweet (on X a
        retweet's row carries its original's counts; they belong to the original)."""
        return 0 if self.is_retweet else self.likes + self.comments + self.shares

    @property
    def row_engagement(self) -> int:
        """Likes + comments + shares as stored on the row (a retweet's: the original's)."""
        return self.likes + self.comments + self.shares


def is_retweet(post: PostRecord) -> bool:
    """Flagged as a retweet on import, or written as one ("RT @user: ...")."""
    return post.is_retweet or retweet_of(post.text) is not None


@dataclass(frozen=True, slots=True)
class Copies:
    """Which posts of a window say the same thing: retweets and identical texts.

    `copy_of[i]` is the index of the post whose text post i repeats (i itself for the
    posts that count for content: `originals`). The original of a text is its first post
    that is not a retweet (a retweet of a text whose original is in the window, even cut
    short with "…", points to it), or its first retweet when only retweets of it are in
    the window. Posts without text are each their own (`text.copy_sources`, which the
    clustering shares).
    """

    originals: Sequence[int]  # ascending
    copy_of: Sequence[int]
    retweets: int  # posts that are retweets
    duplicates: int  # posts, not retweets, that repeat an earlier post's text

    @classmethod
    def of(cls, posts: Sequence[PostRecord]) -> Copies:
        flags = [is_retweet(p) for p in posts]
        copy_of = copy_sources([p.text for p in posts], [p.author_handle for p in posts], flags)
        originals = array("l", (i for i, c in enumerate(copy_of) if c == i))
        duplicates = sum(1 for i, c in enumerate(copy_of) if c != i and not flags[i])
        return cls(originals, copy_of, sum(flags), duplicates)
