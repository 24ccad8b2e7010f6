from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from app.ai.local.text import retweet_of
from app.clients.schemas import Handle, Url
from app.core.enums import ContentType, Platform
from app.core.imports import ImportPlatform, ImportTime
from app.core.pagination import MAX_LIMIT
from app.core.schemas import (
    Count,
    StrictModel,
    UtcDatetime,
    from_text,
    not_blank,
)

Tag = Annotated[str, not_blank(200)]

_HASHTAG = re.compile(r"#(\w+)", re.UNICODE)
_MENTION = re.compile(r"@(\w[\w.]*)", re.UNICODE)


def _split_list(value: Any, info: ValidationInfo) -> Any:
    """Import rows may hold lists as 'a|b' or 'a,b' or '#a #b' (a body sends an array)."""
    if isinstance(value, str) and from_text(info):
        parts = re.split(r"[|,;\s]+", value.strip())
        return [p.lstrip("#@") for p in parts if p.lstrip("#@")]
    return value


def _normalize_tags(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for v in values:
        seen.setdefault(v.lstrip("#@").lower(), None)
    return [v for v in seen if v]


TagList = Annotated[
    list[Tag], BeforeValidator(_split_list), AfterValidator(_normalize_tags), Field(max_length=100)
]


def hashtags_in(text: str) -> list[str]:
    return _normalize_tags(_HASHTAG.findall(text))


def mentions_in(text: str) -> list[str]:
    return _normalize_tags(_MENTION.findall(text))


class PostFields(StrictModel):
    author_handle: Handle = Field(examples=["maria_lima"])
    author_followers: Count = 0
    text: Annotated[str, StringConstraints(min_length=1, max_length=20_000)] = Field(
        examples=["Excelente atención en la agencia de Miraflores 👏 #BancoAndino"]
    )
    published_at: UtcDatetime = Field(examples=["2026-03-14T19:30:00Z"])
    likes: Count = 0
    comments: Count = 0
    shares: Count = 0
    views: Count = 0
    reach: Count = 0
    content_type: ContentType = ContentType.text
    hashtags: TagList | None = Field(default=None, description="Defaults to the #tags in text")
    mentions: TagList | None = Field(default=None, description="Defaults to the @handles in text")
    url: Url | None = None
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")] | None = None
    is_own: bool = Field(default=False, description="True when the brand itself posted it")
    is_retweet: bool = Field(
        default=False,
        description="True for a share of another post (a retweet), counted once with its "
        'original by the analyses. Default: true when the text is written as one ("RT '
        '@user: ..."), else false',
    )

    @model_validator(mode="after")
    def _retweet_by_its_text(self) -> Self:
        """A post that does not give the flag is a retweet when its text says so; set as
        given, so a re-import of the row corrects a stored false."""
        if "is_retweet" not in self.model_fields_set and retweet_of(self.text) is not None:
            self.is_retweet = True
        return self


class PostCreate(PostFields):
    account_id: uuid.UUID
    external_id: Annotated[str, not_blank(120)] = Field(examples=["1769834"])


class PostImportRow(PostFields):
    """One row of an import (app/core/imports.py: columns by name or alias, text values,
    times in `time_format`): the account by id, by platform + handle, or the query's;
    `author_handle` defaults to the account's handle (the brand's own post) and
    `external_id` to the post's `url`."""

    model_config = ConfigDict(extra="forbid")

    account_id: uuid.UUID | None = None
    platform: ImportPlatform | None = None
    account_handle: Handle | None = None
    external_id: Annotated[str, not_blank(120)] | None = Field(
        default=None, description="Default: the post's url (its identity on the platform)"
    )
    author_handle: Handle | None = Field(  # type: ignore[assignment]
        default=None, description="Default: the account's handle"
    )
    published_at: ImportTime


class PostUpdate(StrictModel):
    author_followers: Count | None = None
    text: Annotated[str, StringConstraints(min_length=1, max_length=20_000)] | None = None
    published_at: UtcDatetime | None = None
    likes: Count | None = None
    comments: Count | None = None
    shares: Count | None = None
    views: Count | None = None
    reach: Count | None = None
    content_type: ContentType | None = None
    hashtags: TagList | None = None
    mentions: TagList | None = None
    url: Url | None = None
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")] | None = None
    is_own: bool | None = None
    is_retweet: bool | None = None


class PostOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: uuid.UUID
    account_id: uuid.UUID
    platform: Platform
    external_id: str
    author_handle: str
    author_followers: int
    text: str
    published_at: datetime
    likes: int
    comments: int
    shares: int
    views: int
    reach: int
    content_type: ContentType
    hashtags: list[str]
    mentions: list[str]
    url: str | None
    language: str | None
    is_own: bool
    is_retweet: bool
    sentiment_label: str | None = Field(description="Set when an analysis enriched the post")
    sentiment_score: float | None
    emotion_label: str | None
    emotion_scores: dict[str, float] | None
    topics: list[str]
    frames: list[str]
    enriched_at: datetime | None
    created_at: datetime
    updated_at: datetime


# The posts list's orders, the only definition: the `sort` query parameter's values and
# the list's ORDER BY (app/posts/repository.py) both come from it. "-" means descending;
# ties are broken by the id in the same direction.
PostSort = Literal[
    "published_at",
    "-published_at",
    "likes",
    "-likes",
    "comments",
    "-comments",
    "shares",
    "-shares",
    "views",
    "-views",
]
Sentiment = Literal["positive", "neutral", "negative"]
Emotion = Literal["anger", "disgust", "fear", "joy", "sadness", "surprise", "trust", "neutral"]
Frame = Literal["conflict", "human_interest", "economic", "morality", "responsibility", "brand"]


class PostListQuery(BaseModel):
    """The posts list's whole query string: its filters and its page."""

    account_id: uuid.UUID | None = None
    platform: Platform | None = None
    since: UtcDatetime | None = Field(default=None, description="published_at >= since")
    until: UtcDatetime | None = Field(default=None, description="published_at < until")
    q: str | None = Field(default=None, max_length=200, description="Text contains")
    is_own: bool | None = Field(
        default=None, description="true: the brand's own posts; false: mentions by others"
    )
    language: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$")
    hashtag: str | None = Field(default=None, max_length=200)
    sentiment: Sentiment | None = Field(
        default=None,
        description="Posts an analysis labelled so (e.g. the negative posts of March)",
    )
    emotion: Emotion | None = None
    topic: str | None = Field(
        default=None,
        max_length=120,
        description="Posts of this topic, by its label as the latest analysis run named it "
        "(Q3 `topics[].label`). A post has one topic, its text's strongest (a retweet or "
        "copy takes its original's), so this returns the `topics[].posts` posts Q3 counts.",
    )
    frame: Frame | None = None
    sort: PostSort = "-published_at"
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT, description="Items per page")
    offset: int = Field(default=0, ge=0, le=10_000_000, description="Items to skip")
