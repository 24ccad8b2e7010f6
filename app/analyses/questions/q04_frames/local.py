"""Q4 narrative frames, offline: share, engagement and sentiment of posts per frame.

Frames come from the es + en frame lexicon (`app.ai.local.frames`); a post may carry
several. Each text counts once (`window.originals`: a retweet or a repeated text is a
copy of its original), a retweet with no engagement of its own. Examples are the most
engaging posts of each frame (score = sentiment).
"""

from __future__ import annotations

from typing import cast

from app.ai.local.frames import FRAMES
from app.analyses.question import Previous
from app.analyses.questions.parts import pick_examples, volume_notes
from app.analyses.questions.q04_frames.result import Frame, FramesResult, FrameStat
from app.analyses.statistics import clamp, mean, r4, share
from app.analyses.window import Window

MAX_EXAMPLES = 3


def compute(window: Window, previous: Previous) -> FramesResult:
    posts = window.posts
    texts = window.originals
    n = len(texts)
    notes = [*window.notes, *volume_notes(n, lang=window.lang)]
    members: dict[str, list[int]] = {f: [] for f in FRAMES}
    without = 0
    for i in texts:
        p = posts[i]
        if not p.frames:
            without += 1
        for f in p.frames:
            if f in members:
                members[f].append(i)

    stats: list[FrameStat] = []
    for f in FRAMES:
        idx = members[f]
        chosen = [posts[i] for i in idx]
        stats.append(
            FrameStat(
                frame=cast(Frame, f),
                posts=len(idx),
                share=share(len(idx), n),
                own_posts=sum(1 for p in chosen if p.is_own),
                mean_engagement=r4(mean(p.engagement for p in chosen)),
                mean_engagement_rate=r4(mean(window.rates[i] for i in idx)),
                mean_sentiment=r4(clamp(mean(p.sentiment_score or 0.0 for p in chosen), -1, 1)),
                negative_share=share(
                    sum(1 for p in chosen if p.sentiment_label == "negative"), len(idx)
                ),
                examples=pick_examples(
                    chosen,
                    lambda p: float(p.engagement),
                    MAX_EXAMPLES,
                    shown=lambda p: p.sentiment_score or 0.0,
                ),
            )
        )
    stats.sort(key=lambda s: (-s.posts, FRAMES.index(s.frame)))
    dominant = stats[0].frame if stats and stats[0].posts else None
    if n and dominant is None:
        notes.append("No narrative frame was detected in any post.")
    return FramesResult(
        posts_analyzed=n,
        frames=stats,
        posts_without_frame=without,
        dominant_frame=dominant,
        notes=notes,
    )
