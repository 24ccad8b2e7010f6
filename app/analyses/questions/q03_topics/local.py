"""Q3 topics, offline: the window's topic model (NMF over TF-IDF of lemmas and word
pairs, each distinct text once, greetings and service phrases discounted;
`app.ai.local.topics`).

Each post has one topic (its text's strongest), the one stored in its `topics` and that
the posts list's `?topic=` filters on, so a topic's `posts` here and that filter count the
same posts. Each topic: label (its two most distinctive terms), keywords, posts and
distinct texts, share, mean engagement, mean sentiment of its distinct texts, the trend
between the first and the second half of the window, and two examples with different
texts.
"""

from __future__ import annotations

from app.ai.local.topics import TopicModel
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
from app.analyses.wording import fmt_num

RISE = 1.25  # second-half share >= 1.25x the first-half share ...
MIN_CHANGE = 0.01  # ... and at least 1 point higher
MAX_EXAMPLES = 2

_NOTES = {
    "en": {
        "none": "No topics: {reason}.",
        "one_half": "All posts fall in one half of the window; trends are 'stable' by default.",
        "unassigned": "{n} posts have no topic: greetings or customer-service phrases only, "
        "templated replies, texts too general for any topic, or words no other post shares.",
        "templated": "{n} distinct texts are templated replies (the same words sent to many "
        "accounts, e.g. a customer-service answer) and have no topic.",
        "fewer": "{asked} topics were asked for; the posts' words support {found}.",
    },
    "es": {
        "none": "Sin temas: {reason}.",
        "one_half": "Todas las publicaciones caen en una mitad del periodo; las tendencias "
        "quedan 'stable' por defecto.",
        "unassigned": "{n} publicaciones no tienen tema: solo saludos o fórmulas de atención "
        "al cliente, respuestas de plantilla, textos demasiado generales para un tema o "
        "palabras que ninguna otra publicación comparte.",
        "templated": "{n} textos distintos son respuestas de plantilla (las mismas palabras "
        "enviadas a muchas cuentas, p. ej. una respuesta de atención al cliente) y no tienen "
        "tema.",
        "fewer": "Se pidieron {asked} temas; las palabras de las publicaciones dan para {found}.",
    },
}


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


def _examples(idx: list[int], model: TopicModel, window: Window) -> list[str]:
    """The `MAX_EXAMPLES` most typical posts of a topic, each with a different text
    (`window.copy_of`; originals before retweets)."""
    posts, copy_of = window.posts, window.copy_of
    ranked = sorted(idx, key=lambda i: (-model.weight[i], posts[i].is_retweet, posts[i].id))
    examples: list[str] = []
    seen: set[int] = set()
    for i in ranked:
        if copy_of[i] not in seen:
            seen.add(copy_of[i])
            examples.append(posts[i].id)
            if len(examples) >= MAX_EXAMPLES:
                break
    return examples


def compute(window: Window, previous: Previous) -> TopicsResult:
    posts = window.posts
    n = len(posts)
    say = _NOTES[window.lang]
    notes = [*window.notes, *volume_notes(n, lang=window.lang)]
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
    if model.templated:
        notes.append(say["templated"].format(n=fmt_num(model.templated, window.lang)))
    if not model.topics:
        if n:
            notes.append(say["none"].format(reason=model.reason))
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
        notes.append(say["one_half"])

    copy_of = window.copy_of
    members: list[list[int]] = [[] for _ in model.topics]
    for i, t in enumerate(model.dominant):
        if t >= 0:
            members[t].append(i)
    topics: list[Topic] = []
    for info, idx in zip(model.topics, members, strict=True):
        first = sum(1 for i in idx if in_first[i])
        # Each distinct text once, as the Window counts copies (a retweet cut short with
        # "…" included): its original -> the original's sentiment.
        texts: dict[int, float] = {}
        for i in idx:
            texts.setdefault(copy_of[i], posts[copy_of[i]].sentiment_score or 0.0)
        topics.append(
            Topic(
                topic_id=0,
                label=info.label,
                keywords=[Keyword(term=t, weight=r4(clamp(w, 0.0, 1.0))) for t, w in info.keywords],
                posts=len(idx),
                distinct_texts=len(texts),
                share=share(len(idx), n),
                mean_engagement=r4(mean(posts[i].engagement for i in idx)),
                mean_engagement_rate=r4(mean(window.rates[i] for i in idx)),
                mean_sentiment=r4(clamp(mean(texts.values()), -1.0, 1.0)),
                trend=trend(first, n_first, len(idx) - first, n_second),
                example_post_ids=_examples(idx, model, window),
            )
        )
    topics.sort(key=lambda t: (-t.distinct_texts, -t.posts, t.label))
    for index, topic in enumerate(topics):
        topic.topic_id = index
    if model.requested is not None and len(topics) < model.requested:
        notes.append(say["fewer"].format(asked=model.requested, found=len(topics)))
    unassigned = sum(1 for t in model.dominant if t < 0)
    if unassigned:
        notes.append(say["unassigned"].format(n=fmt_num(unassigned, window.lang)))
    return TopicsResult(
        posts_analyzed=n,
        method=model.method,
        k=len(topics),
        selection=selection,
        topics=topics,
        unassigned_posts=unassigned,
        notes=notes,
    )
