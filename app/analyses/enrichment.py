"""Per-post enrichment of a window: language, sentiment, emotion, frames and topics.

Posts that already carry a sentiment (stored by an earlier run) keep their language,
sentiment and emotion; the rest are analysed by the local text engine. Frames are
detected for analysed posts and for posts without frames. Topics always come from one
topic model over the whole window (the one Q3 reports), fitted on each text once
(retweets and identical texts are copies of one original, which gives them its topics),
so a post's stored topics and the window's topics agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from app.ai.local import analyze_texts, tokenize
from app.ai.local.frames import frames_from_tokens
from app.ai.local.topics import TopicModel, topic_model
from app.ai.local.types import TextAnalysis
from app.analyses.records import Copies, PostRecord, SharedValues, is_retweet

ANALYSIS_CHUNK = 5000  # posts analysed per call, so per-text results never pile up

# (language, sentiment label, score, emotion label, emotion scores, topics, frames)
_Payload = tuple[
    str | None,
    str | None,
    float | None,
    str | None,
    Mapping[str, float] | None,
    tuple[str, ...],
    tuple[str, ...],
]
_Base = tuple[str | None, str | None, float | None, str | None, Mapping[str, float] | None]


def enrich_in_place(
    posts: list[PostRecord],
    brand_handles: frozenset[str],
    copies: Copies | None = None,
    *,
    topics: int | None = None,
) -> tuple[list[int], TopicModel]:
    """Enrich every post of `posts`, replacing each in the list (a large window is never
    held twice), and flag the retweets written as such ("RT @user: ..."). Returns the
    indexes whose stored enrichment must change, and the window's topic model (brand
    handles are left out of its vocabulary), fitted on the texts that count for content
    (`copies.originals`: each text once); a copy gets its original's topics."""
    if copies is None:
        copies = Copies.of(posts)
    payloads, model = _payloads(posts, brand_handles, copies, topics)
    changed: list[int] = []
    for i, payload in enumerate(payloads):
        old = posts[i]
        new = _with(old, payload)
        if not new.is_retweet and is_retweet(new):
            new = replace(new, is_retweet=True)
        if _stored(old) != _stored(new):
            changed.append(i)
        posts[i] = new
    return changed, model


def _payloads(
    posts: Sequence[PostRecord], brand_handles: frozenset[str], copies: Copies, topics: int | None
) -> tuple[list[_Payload], TopicModel]:
    base: list[_Base] = []
    frames: list[tuple[str, ...]] = []
    same = SharedValues()
    for start in range(0, len(posts), ANALYSIS_CHUNK):
        chunk = posts[start : start + ANALYSIS_CHUNK]
        todo = [i for i, p in enumerate(chunk) if p.sentiment_label is None]
        fresh: dict[int, TextAnalysis] = dict(
            zip(todo, analyze_texts([chunk[i].text for i in todo]), strict=True)
        )
        for i, p in enumerate(chunk):
            a = fresh.get(i)
            lang: str | None
            if a is not None:
                base.append(
                    (
                        a.language,
                        a.sentiment_label,
                        same(a.sentiment_score),
                        a.emotion_label,
                        same.emotions(a.emotion_scores),
                    )
                )
                lang = a.language
            else:
                base.append(
                    (
                        p.language,
                        p.sentiment_label,
                        p.sentiment_score,
                        p.emotion_label,
                        same.emotions(p.emotion_scores),
                    )
                )
                lang = p.language
            if a is not None or not p.frames:
                frames.append(same(frames_from_tokens(p.text, tokenize(p.text), lang)))
            else:
                frames.append(same(tuple(p.frames)))
        del fresh
    originals = copies.originals
    fitted = topic_model(
        [posts[i].text for i in originals],
        [base[i][0] or "und" for i in originals],
        brand_handles,
        k=topics,
    )
    model = _for_every_post(fitted, originals, copies.copy_of)
    payloads: list[_Payload] = [
        (*b, same(model.labels_of(i)), f) for i, (b, f) in enumerate(zip(base, frames, strict=True))
    ]
    return payloads, model


def _for_every_post(
    model: TopicModel, originals: Sequence[int], copy_of: Sequence[int]
) -> TopicModel:
    """`model`, fitted on the `originals`, with its per-post fields for every post: a
    copy's are its original's."""
    if len(originals) == len(copy_of):
        return model
    row = {i: r for r, i in enumerate(originals)}
    rows = [row[c] for c in copy_of]
    return replace(
        model,
        dominant=tuple(model.dominant[r] for r in rows),
        weight=tuple(model.weight[r] for r in rows),
        memberships=tuple(model.memberships[r] for r in rows),
    )


def _stored(post: PostRecord) -> tuple[Any, ...]:
    """What of a post's enrichment is stored and compared (not the emotion scores, which
    follow the emotion label)."""
    return (
        post.language,
        post.sentiment_label,
        post.sentiment_score,
        post.emotion_label,
        post.topics,
        post.frames,
    )


def _with(post: PostRecord, payload: _Payload) -> PostRecord:
    lang, s_label, s_score, e_label, e_scores, topics, frames = payload
    return replace(
        post,
        language=lang,
        sentiment_label=s_label,
        sentiment_score=s_score,
        emotion_label=e_label,
        emotion_scores=e_scores,
        topics=topics,
        frames=frames,
    )
