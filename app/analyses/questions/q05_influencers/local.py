"""Q5 influencers, offline: authors other than the brand ranked by reach and engagement,
their role and stance, and the accounts the posts mention.

Each text counts once (`window.originals`): an author's posts are their distinct texts in
the window, those they posted and those others retweeted. A retweet earns its retweeter
nothing; the author it names is credited with the engagement its row carries (on X the
original's), once per text, and with the retweet itself.

influence_score = 0.5 x log(1+followers)/log(1+max followers) + 0.5 x
log(1+engagement)/log(1+max engagement). Stance toward the brand comes only from the
mean sentiment of the author's texts that name it; an author whose texts never name it
has none. Role: "competitor" (a competitor's account), "media" (outlets and
institutions) or "voice"; the brand's own accounts are left out.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from app.ai.local.text import retweet_of
from app.analyses.question import Previous
from app.analyses.questions.parts import volume_notes
from app.analyses.questions.q05_influencers.result import (
    InfluencersResult,
    InfluencerStat,
    MentionedAccount,
)
from app.analyses.records import PostRecord
from app.analyses.statistics import clamp, mean, r4, stance
from app.analyses.window import Window

TOP_AUTHORS = 10
TOP_MENTIONED = 10

_ROLES_NOTE = {
    "en": "Among the authors, {competitors} are competitors' accounts and {media} are media "
    "or institutions: reported as such, never proposed as partners.",
    "es": "Entre los autores, {competitors} son cuentas de competidores y {media} de medios "
    "o instituciones: se informan como tales, nunca se proponen como aliados.",
}
_NO_OTHERS = {
    "en": "Every post is by the brand's own accounts; there are no other authors.",
    "es": "Todas las publicaciones son de las cuentas de la marca; no hay otros autores.",
}


def _handle(handle: str) -> str:
    return handle.lower().lstrip("@")


@dataclass
class _Author:
    texts: set[int] = field(default_factory=set)  # window.posts indices of their texts
    credit: dict[int, int] = field(default_factory=dict)  # text -> engagement credited
    rates: list[float] = field(default_factory=list)  # of the texts they posted
    retweets: int = 0  # retweets of their texts in the window

    def earn(self, text: int, engagement: int) -> None:
        self.texts.add(text)
        self.credit[text] = max(self.credit.get(text, 0), max(engagement, 0))


def _authors(window: Window) -> dict[str, _Author]:
    """Every author other than the brand, by handle, with their texts and credit."""
    posts = window.posts
    authors: dict[str, _Author] = defaultdict(_Author)
    for i in window.originals:
        p = posts[i]
        if p.is_retweet:
            continue  # only retweets of this text here: credited to whom they name, below
        author = authors[_handle(p.author_handle)]
        author.earn(i, p.engagement)
        author.rates.append(window.rates[i])
    for i, p in enumerate(posts):
        if not p.is_retweet:
            continue
        shared = retweet_of(p.text)
        if shared is None:
            continue  # flagged on import without naming its author: nobody to credit
        author = authors[shared[0]]
        author.earn(window.copy_of[i], p.row_engagement)
        author.retweets += 1
    return {h: a for h, a in authors.items() if a.texts and not window.brand.is_own(h)}


Authors = dict[str, _Author]


def other_authors(window: Window) -> Authors:
    """The authors other than the brand (by handle), with their texts and credit."""
    return _authors(window)


def texts_of(authors: Authors) -> list[int]:
    """The texts (window.posts indices) of `authors`, each once."""
    return sorted(set[int]().union(*(a.texts for a in authors.values())))


def rank_authors(window: Window, authors: Authors) -> list[InfluencerStat]:
    """`authors` (see `other_authors`), most influential first."""
    posts = window.posts
    followers: dict[str, int] = defaultdict(int)
    for p in posts:
        h = _handle(p.author_handle)
        if h in authors:
            followers[h] = max(followers[h], p.author_followers)
    rows = [(h, a, followers[h], sum(a.credit.values())) for h, a in authors.items()]
    max_f = max((f for _, _, f, _ in rows), default=0)
    max_e = max((e for *_, e in rows), default=0)

    def norm(x: int, top: int) -> float:
        return math.log1p(x) / math.log1p(top) if top > 0 else 0.0

    ranked: list[InfluencerStat] = []
    for handle, a, n_followers, engagement in rows:
        texts = [posts[i] for i in sorted(a.texts)]
        about_brand = [p for p in texts if window.brand.mentions(p)]
        ranked.append(
            InfluencerStat(
                handle=handle,
                role=window.role(handle),
                platforms=sorted({p.platform for p in texts}),
                followers=n_followers,
                posts=len(texts),
                retweets=a.retweets,
                total_engagement=engagement,
                mean_engagement_rate=r4(mean(a.rates)),
                mean_sentiment=r4(clamp(_sentiment(texts), -1, 1)),
                brand_mention_posts=len(about_brand),
                brand_mean_sentiment=r4(clamp(_sentiment(about_brand), -1, 1))
                if about_brand
                else None,
                stance=stance(_sentiment(about_brand)) if about_brand else None,
                influence_score=r4(
                    clamp(0.5 * norm(n_followers, max_f) + 0.5 * norm(engagement, max_e), 0, 1)
                ),
            )
        )
    ranked.sort(key=lambda s: (-s.influence_score, -s.total_engagement, s.handle))
    return ranked


def _sentiment(posts: list[PostRecord]) -> float:
    return mean(p.sentiment_score or 0.0 for p in posts)


def mentioned_accounts(window: Window) -> list[MentionedAccount]:
    """Every account the texts @mention (the brand's excluded; a retweet's own author
    is not a mention), most mentioned first."""
    mentioned: dict[str, list[PostRecord]] = defaultdict(list)
    for i in window.originals:
        p = window.posts[i]
        shared = retweet_of(p.text) if p.is_retweet else None
        skip = shared[0] if shared else None
        for m in {_handle(m) for m in p.mentions}:
            if m and m != skip and not window.brand.is_own(m):
                mentioned[m].append(p)
    accounts = [
        MentionedAccount(
            handle=handle,
            role=window.role(handle),
            mentions=len(items),
            total_engagement=sum(max(p.engagement, 0) for p in items),
            mean_sentiment=r4(clamp(_sentiment(items), -1, 1)),
            stance=stance(_sentiment(items)),
        )
        for handle, items in mentioned.items()
    ]
    accounts.sort(key=lambda a: (-a.mentions, -a.total_engagement, a.handle))
    return accounts


def compute(window: Window, previous: Previous) -> InfluencersResult:
    lang = window.lang
    others = other_authors(window)
    texts = texts_of(others)
    authors = rank_authors(window, others)
    notes = [*window.notes, *volume_notes(len(texts), lang=lang, what="others")]
    if window.posts and not texts:
        notes.append(_NO_OTHERS[lang])
    competitors = sum(1 for a in authors if a.role == "competitor")
    media = sum(1 for a in authors if a.role == "media")
    if competitors or media:
        notes.append(_ROLES_NOTE[lang].format(competitors=competitors, media=media))
    return InfluencersResult(
        posts_analyzed=len(texts),
        authors=authors[:TOP_AUTHORS],
        mentioned_accounts=mentioned_accounts(window)[:TOP_MENTIONED],
        notes=notes,
    )
