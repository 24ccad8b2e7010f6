"""Q2 brand personality, the payload section: the brand's voice as the local engine reads
it (own posts, the minimum sample, boilerplate-only posts and distinctive terms); its
sample puts the brand's own posts first."""

from __future__ import annotations

from typing import Any

from app.analyses.question import Previous
from app.analyses.questions.q02_personality.local import MIN_OWN_POSTS, brand_voice
from app.analyses.window import Window


def section(window: Window, previous: Previous) -> dict[str, Any]:
    voice = brand_voice(window)
    return {
        "brand_voice": {
            "own_posts": len(voice.own),
            "min_own_posts": MIN_OWN_POSTS,
            "boilerplate_posts": voice.boilerplate_posts,
            "distinctive_terms": [t.model_dump() for t in voice.distinctive],
        }
    }
