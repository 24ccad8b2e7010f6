"""Q5 influencers, the payload section: the local engine's author ranking (more rows)
and mentioned accounts, so the model reads the same figures."""

from __future__ import annotations

from typing import Any

from app.analyses.question import Previous
from app.analyses.questions.q05_influencers.local import (
    mentioned_accounts,
    other_authors,
    rank_authors,
    texts_of,
)
from app.analyses.window import Window

TOP_AUTHORS = 20
TOP_MENTIONED = 10


def section(window: Window, previous: Previous) -> dict[str, Any]:
    others = other_authors(window)
    authors = rank_authors(window, others)
    return {
        "influencers": {
            "posts_by_others": len(texts_of(others)),
            "authors": [a.model_dump(mode="json") for a in authors[:TOP_AUTHORS]],
            "authors_total": len(authors),
            "mentioned_accounts": [
                m.model_dump(mode="json") for m in mentioned_accounts(window)[:TOP_MENTIONED]
            ],
        }
    }
