"""Q3 topics, offline: the window's topic model (NMF over TF-IDF of lemmatised content
tokens; `app.ai.local.topics`).

k is chosen in 2..8 by diversity x (1 + NPMI coherence) / 2. Each topic: label (top
terms), keywords, share of posts whose strongest topic it is, mean engagement and
sentiment, and the trend between the first and the second half of the window.
"""

from __future__ import annotations

from app.analyses.question import Previous
from app.analyses.questions.parts import Direction, volume_notes
from app.analyses.questions.q03_topics.result import (
    Keyword,
    Topic,
    TopicCandidate,
    TopicsResult,
    TopicTrend,
)
from app.analyses.statistics import clamp, mean, r4, share
from app.analyses.window import Window

RISE = 1.25  # second-half share >= 1.25x the first-half share ...
MIN_CHANGE = 0.01  # ... and at least 1 point higher
MAX_EXAMPLES = 3


def trend(first: int, n_first: int, second: int, n_second: int) -> TopicTrend:
    s1 = first / n_first if n_first else 0.0
    s2 = second / n_second if n_second else 0.0
    direction: Direction = "stable"
    if n_first and n_second:
        if s2 >= RISE * s1 and s2 - s1 >= MIN_CHANGE:
            direction = "rising"
        elif s1 >= RISE * s2 and s1 - s2 >= MIN_CHANGE:
            direction = "falling"
    return TopicTrend(
        direction=direction,
        share_first_half=r4(s1),
        share_second_half=r4(s2),
        change=r4(clamp(s2 - s1, -1.0, 1.0)),
    )


def compute(window: Window, previous: Previous) -> TopicsResult:
    posts = window.posts
    n = len(posts)
    notes = [*window.notes, *volume_notes(n)]
    model = window.topics
    selection = [
        TopicCandidate(
            k=c.k,
            coherence=r4(clamp(c.coherence, -1.0, 1.0)),
            diversity=r4(clamp(c.diversity, 0.0, 1.0)),
            reconstruction_error=r4(max(0.0, c.reconstruction_error)),
        )
        for c in model.candidates
    ]
    if not model.topics:
        if n:
            notes.append(f"No topics: {model.reason}.")
        return TopicsResult(
            posts_analyzed=n,
            method=model.method,
            k=0,
            selection=selection,
            topics=[],
            unassigned_posts=n,
            notes=notes,
        )

    start, end = window.span()
    middle = start + (end - start) / 2
    in_first = [p.published_at < middle for p in posts]
    n_first = sum(in_first)
    n_second = n - n_first
    if not n_first or not n_second:
        notes.append("All posts fall in one half of the window; trends are 'stable' by default.")

    members: list[list[int]] = [[] for _ in model.topics]
    for i, t in enumerate(model.dominant):
        if t >= 0:
            members[t].append(i)
    topics: list[Topic] = []
    for info, idx in zip(model.topics, members, strict=True):
        first = sum(1 for i in idx if in_first[i])
        ranked = sorted(idx, key=lambda i: (-model.weight[i], posts[i].id))
        examples: list[str] = []
        seen: set[str] = set()
        for i in ranked:
            if posts[i].text not in seen:
                seen.add(posts[i].text)
                examples.append(posts[i].id)
            if len(examples) >= MAX_EXAMPLES:
                break
        topics.append(
            Topic(
                topic_id=info.index,
                label=info.label,
                keywords=[Keyword(term=t, weight=r4(clamp(w, 0.0, 1.0))) for t, w in info.keywords],
                posts=len(idx),
                share=share(len(idx), n),
                mean_engagement=r4(mean(posts[i].engagement for i in idx)),
                mean_engagement_rate=r4(mean(window.rates[i] for i in idx)),
                mean_sentiment=r4(
                    clamp(mean(posts[i].sentiment_score or 0.0 for i in idx), -1.0, 1.0)
                ),
                trend=trend(first, n_first, len(idx) - first, n_second),
                example_post_ids=examples,
            )
        )
    unassigned = sum(1 for t in model.dominant if t < 0)
    if unassigned:
        notes.append(
            f"{unassigned} posts have no word in the topic vocabulary and belong to no topic."
        )
    return TopicsResult(
        posts_analyzed=n,
        method=model.method,
        k=len(topics),
        selection=selection,
        topics=topics,
        unassigned_posts=unassigned,
        notes=notes,
    )
