"""What the OpenAI-compatible engine sends a model: the figures of the window, as JSON.

`build` makes the payload of one question: the sections every question gets (the client,
the window, totals, per platform and content type, top hashtags and mentions, the
enrichment's distributions), the question's own section (`Question.llm`, written in its
folder's `llm.py`) and a bounded sample of posts (by engagement and recency, own posts
and mentions both represented). Every figure comes from `app.analyses.statistics` over
the `Window`, so it equals what the local engine reports; every list is capped, so the
payload is bounded by its sample.

Conventions (the result models' field descriptions say the same): engagement = likes +
comments + shares; engagement rate = engagement / max(author followers, 100), capped at
1; shares are fractions 0..1 with 4 decimals; weekdays 0 = Monday; weeks start on Monday;
all times in the tenant's time zone.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from app.analyses.question import Previous, Question
from app.analyses.records import PostRecord
from app.analyses.statistics import (
    SENTIMENTS,
    Group,
    Spike,
    Trend,
    engagement_rate,
    groups,
    r4,
    share,
)
from app.analyses.window import Window

TEXT_LIMIT = 280  # characters of one post's text in the payload
TOP_HASHTAGS = 15
TOP_MENTIONED = 10
TOP_TOPICS = 15

_SPACE_RE = re.compile(r"\s+")


def to_json(payload: Mapping[str, Any]) -> str:
    """Compact JSON (no spaces, UTF-8 kept) of a payload."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)


def build(
    question: Question[Any], window: Window, previous: Previous, *, max_posts: int = 200
) -> dict[str, Any]:
    """The JSON-ready payload of one question: figures over all posts, bounded sample.

    At most `max_posts` posts of at most `TEXT_LIMIT` characters each (fewer when the
    question's `sample.limit` says so); every aggregate list is capped.
    """
    posts = window.posts
    limit = min(max_posts, question.sample.limit or max_posts)
    sample = select_posts(posts, limit, own_first=question.sample.own_first)
    client = window.client
    start, end = window.start, window.end
    payload: dict[str, Any] = {
        "question": question.key,
        "client": {
            "name": client.name,
            "industry": client.industry,
            "country": client.country,
            "language": client.language,
            "own_handles": list(client.handles),
            "aliases": list(client.aliases),
            "competitors": [c.name for c in client.competitors],
        },
        "window": {
            "start": local_time(start, window.tz).date().isoformat(),
            "end": local_time(end, window.tz).date().isoformat(),
            "days": max(1, math.ceil((end - start).total_seconds() / 86400)),
            "timezone": window.tz_name,
        },
        "totals": totals(window),
        "by_platform": table(groups((p.platform, p) for p in posts), "platform"),
        "by_content_type": table(
            groups((p.content_type, p) for p in posts), "content_type", emotions=False
        ),
        "top_hashtags": top(
            Counter(tag(h, "#") for p in posts for h in set(p.hashtags)), TOP_HASHTAGS, "hashtag"
        ),
        "top_mentioned": top(
            Counter(
                m
                for p in posts
                for m in {tag(x, "@") for x in p.mentions}
                if not window.brand.is_brand(m)
            ),
            TOP_MENTIONED,
            "handle",
        ),
        "posts_naming_the_brand": sum(1 for p in posts if window.brand.mentions(p)),
    }
    if posts:
        payload["enrichment"] = enrichment(window)
    payload.update(question.llm(window, previous))
    payload["sample"] = {
        "posts_included": len(sample),
        "posts_total": len(posts),
        "selection": (
            "own posts first, then mentions"
            if question.sample.own_first
            else "own posts and mentions in proportion"
        )
        + f"; most engaging and most recent; newest first; texts cut at {TEXT_LIMIT} characters",
    }
    payload["posts"] = [post_entry(p, window.tz) for p in sample]
    return payload


# --------------------------------------------------------------------------- figures


def local_time(moment: datetime, zone: tzinfo) -> datetime:
    return moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=zone)


def tag(value: str, prefix: str) -> str:
    value = value.strip().lower()
    return value if value.startswith(prefix) else prefix + value


def sentiment_stats(group: Group) -> dict[str, Any]:
    """A group's sentiment: counts, shares (summing to 1), net and mean score."""
    out: dict[str, Any] = {}
    mean_sentiment = group.mean_sentiment
    if mean_sentiment is not None:
        out["mean_sentiment"] = r4(mean_sentiment)
    if group.posts:
        out["sentiment"] = dict(zip(SENTIMENTS, group.sentiment_counts(), strict=True))
        for name, value in zip(SENTIMENTS, group.sentiment_shares(), strict=True):
            out[f"{name}_share"] = value
        out["net_sentiment"] = group.net_sentiment()
    return out


def group_stats(group: Group, *, emotions: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "posts": group.posts,
        "own": group.own,
        "mentions": group.posts - group.own,
        "engagement": group.engagement,
        "mean_engagement": r4(group.mean_engagement),
        "mean_engagement_rate": r4(group.mean_rate),
    }
    out.update(sentiment_stats(group))
    if emotions and group.posts:
        out["emotions"] = group.emotion_counts()
    return out


def table(
    by_key: Mapping[str, Group],
    key: str,
    *,
    total: int = 0,
    limit: int = 0,
    emotions: bool = True,
) -> list[dict[str, Any]]:
    """Rows `{key: name, **stats}`, most posts first; `share` of `total` when given."""
    ranked = sorted(by_key.items(), key=lambda kv: (-kv[1].posts, kv[0]))
    if limit:
        ranked = ranked[:limit]
    rows = []
    for name, group in ranked:
        row: dict[str, Any] = {key: name}
        if total:
            row["share"] = share(group.posts, total)
        row.update(group_stats(group, emotions=emotions))
        rows.append(row)
    return rows


def top(counter: Counter[str], n: int, key: str) -> list[dict[str, Any]]:
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return [{key: name, "posts": count} for name, count in ranked]


def totals(window: Window) -> dict[str, Any]:
    group = Group()
    for post, rate in zip(window.posts, window.rates, strict=True):
        group.add(post, rate)
    out = group_stats(group, emotions=False)
    posts = window.posts
    out.update(
        own_engagement=group.own_engagement,
        mentions_engagement=group.engagement - group.own_engagement,
        likes=sum(p.likes for p in posts),
        comments=sum(p.comments for p in posts),
        shares=sum(p.shares for p in posts),
        views=sum(p.views for p in posts),
        reach=sum(p.reach for p in posts),
        retweets=window.retweets,
        duplicates=window.duplicates,
        distinct_texts=len(window.originals),
        first_day=min(window.dates).isoformat() if window.dates else None,
        last_day=max(window.dates).isoformat() if window.dates else None,
        days_with_posts=len(window.daily),
    )
    return out


def enrichment(window: Window) -> dict[str, Any]:
    """What the per-post enrichment says over all posts."""
    posts = window.posts
    group = Group()
    for post, rate in zip(posts, window.rates, strict=True):
        group.add(post, rate)
    n = len(posts)
    out: dict[str, Any] = {"posts_enriched": n}
    out.update(sentiment_stats(group))
    out["emotions"] = [
        {"emotion": e, "posts": count, "share": share(count, n)}
        for e, count in group.emotion_counts().items()
    ]
    topics = groups((t, p) for p in posts for t in dict.fromkeys(p.topics))
    if topics:
        out["topics"] = table(topics, "topic", total=n, limit=TOP_TOPICS, emotions=False)
    frames = groups((f, p) for p in posts for f in dict.fromkeys(p.frames))
    if frames:
        out["frames"] = table(frames, "frame", total=n, emotions=False)
        out["posts_without_frame"] = sum(1 for p in posts if not p.frames)
    return out


def trend_entry(found: Trend | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "slope_per_week": found.slope_per_week,
        "relative_slope": found.relative_slope,
        "direction": found.direction,
    }


def spike_entry(spike: Spike) -> dict[str, Any]:
    return {
        "day": spike.day.isoformat(),
        "kind": spike.kind,
        "z_score": spike.z_score,
        "value": spike.value,
        "negative_posts": spike.negative_posts,
        "posts": spike.posts,
    }


# --------------------------------------------------------------------------- the sample


def select_posts(
    posts: Sequence[PostRecord], limit: int, *, own_first: bool = False
) -> list[PostRecord]:
    """Up to `limit` posts, newest first, chosen by engagement and by recency.

    The budget is split between own posts and mentions in proportion to their counts
    (each side keeps at least a quarter of the budget when it has that many posts), or
    goes to own posts first with `own_first`; inside each side half goes to the most
    engaging posts, the rest to the most recent ones not chosen yet.
    """
    if limit <= 0 or not posts:
        return []
    if len(posts) <= limit:
        return sorted(posts, key=lambda p: (p.published_at, p.id), reverse=True)
    own = [p for p in posts if p.is_own]
    others = [p for p in posts if not p.is_own]
    if own_first:
        own_budget = min(len(own), limit)
    else:
        floor = limit // 4
        own_budget = round(limit * len(own) / len(posts))
        own_budget = max(own_budget, min(floor, len(own)))
        own_budget = min(own_budget, len(own), limit - min(floor, len(others)))
    other_budget = min(limit - own_budget, len(others))
    own_budget = min(limit - other_budget, len(own))  # give back what one side cannot use
    chosen = _pick(own, own_budget) + _pick(others, other_budget)
    return sorted(chosen, key=lambda p: (p.published_at, p.id), reverse=True)


def _pick(posts: Sequence[PostRecord], budget: int) -> list[PostRecord]:
    if budget <= 0:
        return []
    by_engagement = sorted(posts, key=lambda p: (p.engagement, p.published_at), reverse=True)
    chosen = by_engagement[: math.ceil(budget / 2)]
    seen = {p.id for p in chosen}
    for post in sorted(posts, key=lambda p: p.published_at, reverse=True):
        if len(chosen) >= budget:
            break
        if post.id not in seen:
            chosen.append(post)
            seen.add(post.id)
    return chosen


def _truncate(text: str, limit: int = TEXT_LIMIT) -> str:
    flat = _SPACE_RE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def post_entry(post: PostRecord, zone: tzinfo) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": post.id,
        "platform": post.platform,
        "author": post.author_handle,
        "followers": post.author_followers,
        "own": post.is_own,
        "date": local_time(post.published_at, zone).isoformat(timespec="minutes"),
        "type": post.content_type,
        "text": _truncate(post.text),
        "engagement": post.engagement,
        "engagement_rate": r4(engagement_rate(post)),
    }
    if post.views:
        entry["views"] = post.views
    if post.language:
        entry["lang"] = post.language
    if post.sentiment_label:
        entry["sentiment"] = post.sentiment_label
    if post.sentiment_score is not None:
        entry["sentiment_score"] = round(post.sentiment_score, 2)
    if post.emotion_label:
        entry["emotion"] = post.emotion_label
        if post.emotion_scores and post.emotion_label in post.emotion_scores:
            entry["emotion_score"] = round(post.emotion_scores[post.emotion_label], 2)
    if post.topics:
        entry["topics"] = list(post.topics)
    if post.frames:
        entry["frames"] = list(post.frames)
    return entry
