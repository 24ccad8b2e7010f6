"""Q1 and Q2 said honestly (issue 11, item 5): the leading emotion is named among the posts
that show one, beside the neutral share; the brand's personality is read from its own
posts' distinctive terms, not from customer-service boilerplate, and not at all when the
brand has too few posts."""

from __future__ import annotations

import pytest

from app.analyses import payload
from app.analyses.question import Previous
from app.analyses.questions.q01_emotions.result import EmotionsResult
from app.analyses.registry import BY_KEY
from app.analyses.wording import EMOTION_NAMES, fmt_pct
from tests.analyses.builders import answer, post, window_for

NEUTRAL = [
    "¿A qué hora abre la agencia de {n}?",
    "La agencia de {n} atiende de lunes a viernes",
    "¿Dónde queda el cajero de la avenida {n}?",
]
JOY = ["¡Qué felicidad, me encanta la nueva app! {n}", "Estoy feliz, qué alegría 🥳 {n}"]
ANGER = "Estoy furioso, qué rabia, es indignante 😡 {n}"
FEAR = "Tengo mucho miedo, estoy aterrada {n}"

STREETS = [
    "Arequipa",
    "Javier Prado",
    "Larco",
    "Benavides",
    "Angamos",
    "Brasil",
    "Tacna",
    "Abancay",
    "Grau",
    "Salaverry",
]


def _emotional_window() -> list:
    """40 posts: 30 neutral (75%), 6 joy, 3 anger, 1 fear."""
    posts = [post(t.format(n=s)) for s in STREETS for t in NEUTRAL]
    posts += [post(JOY[i % 2].format(n=i)) for i in range(6)]
    posts += [post(ANGER.format(n=i)) for i in range(3)]
    posts += [post(FEAR.format(n=0))]
    return posts


@pytest.mark.parametrize("lang", ["es", "en"])
def test_q1_names_the_leading_emotion_among_those_that_show_one(lang: str) -> None:
    result = answer("q1", window_for(_emotional_window(), lang=lang))
    assert isinstance(result, EmotionsResult)
    assert result.posts_analyzed == 40
    assert result.neutral_share == 0.75
    assert result.emotional_posts == 10
    assert result.emotional_share == 0.25
    assert result.dominant_emotion == "neutral"
    assert result.dominant_non_neutral == "joy"
    stats = {s.emotion: s for s in result.distribution}
    assert stats["joy"].share_of_emotional == 0.6
    assert stats["anger"].share_of_emotional == 0.3
    assert stats["neutral"].share_of_emotional is None
    assert sum(s.share_of_emotional or 0.0 for s in result.distribution) == pytest.approx(1.0)
    # The sentence says all three figures, in the tenant's language.
    headline = result.headline
    assert EMOTION_NAMES[lang]["joy"] in headline
    for figure in (0.25, 0.6, 0.75):
        assert fmt_pct(figure, lang) in headline
    assert fmt_pct(stats["joy"].share, lang) not in headline  # 15% of all posts: misleading
    # Ten emotional posts are a thin base: said so.
    assert any(("10" in n) and (("emotion" in n) or ("emoción" in n)) for n in result.notes)


@pytest.mark.parametrize("lang", ["es", "en"])
def test_q1_all_neutral_says_no_emotion(lang: str) -> None:
    posts = [post(t.format(n=s)) for s in STREETS for t in NEUTRAL]
    result = answer("q1", window_for(posts, lang=lang))
    assert isinstance(result, EmotionsResult)
    assert (result.neutral_share, result.emotional_posts) == (1.0, 0)
    assert result.dominant_non_neutral is None
    assert all(s.share_of_emotional is None for s in result.distribution if s.posts == 0)
    assert EMOTION_NAMES[lang]["joy"] not in result.headline
    assert "30" in result.headline


def test_q1_weeks_and_platforms_name_their_leading_emotion() -> None:
    posts = _emotional_window()
    result = answer("q1", window_for(posts, lang="en"))
    assert isinstance(result, EmotionsResult)
    (platform,) = result.by_platform
    assert (platform.dominant_emotion, platform.dominant_non_neutral) == ("neutral", "joy")
    busy = [w for w in result.over_time if w.posts]
    assert all(w.dominant_non_neutral == "joy" for w in busy)


def test_q1_payload_carries_the_same_emotional_base() -> None:
    window = window_for(_emotional_window(), lang="en")
    result = answer("q1", window)
    assert isinstance(result, EmotionsResult)
    sent = payload.build(BY_KEY["q1"], window, Previous())["emotional_base"]
    assert sent["emotional_posts"] == result.emotional_posts
    assert sent["neutral_share"] == result.neutral_share
    assert sent["emotional_share"] == result.emotional_share
    assert sent["share_of_emotional"] == {
        s.emotion: s.share_of_emotional for s in result.distribution if s.share_of_emotional
    }
