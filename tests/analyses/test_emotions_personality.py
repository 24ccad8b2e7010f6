"""Q1 and Q2 said honestly (issue 11, item 5): the leading emotion is named among the posts
that show one, beside the neutral share; the brand's personality is read from its own
posts' distinctive terms, not from customer-service boilerplate, and not at all when the
brand has too few posts."""

from __future__ import annotations

import pytest

from app.analyses import payload
from app.analyses.question import Previous
from app.analyses.questions import q02_personality
from app.analyses.questions.q01_emotions.result import EmotionsResult
from app.analyses.questions.q02_personality.result import PersonalityResult
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


# --- Q2 ----------------------------------------------------------------------------------

NAMES = ["Carlos", "María", "Jorge", "Lucía", "Pedro", "Rosa", "Luis", "Ana"]
SERVICE = [
    "Hola {name}, gracias por escribirnos. Envíanos más detalles por mensaje directo y te "
    "ayudamos.",
    "Hola {name}, lamentamos las molestias. Por favor bríndanos más detalles por mensaje "
    "interno, quedamos atentos.",
    "Hola {name}, ¡gracias a ti por escribirnos! Saludos.",
    "Hola {name}, te ayudamos por mensaje directo. ¡Saludos!",
]
DISTINCTIVE = [
    "Lanzamos la nueva app con pagos innovadores para tu negocio",
    "Con la nueva app tus pagos innovadores llegan en segundos",
    "Nuestra nueva app: pagos innovadores, seguros y sin filas",
    "Descubre los pagos innovadores de la nueva app",
    "La nueva app ya está aquí: pagos innovadores para todos",
    "Pagos innovadores con la nueva app, pruébala hoy",
]
CUSTOMERS = [
    "Gracias por nada, sigo esperando mi tarjeta",
    "Qué elegante y exclusiva la tarjeta platinum de la competencia",
    "Aventura y montaña este fin de semana, con garra",
    "Hola, ¿alguien sabe si hay cajeros en Miraflores?",
]


def _brand_window(own_service: int, own_distinctive: int, customers: int) -> list:
    posts = []
    for i in range(own_service):
        text = SERVICE[i % len(SERVICE)].format(name=f"{NAMES[i % len(NAMES)]} {i}")
        # Half flagged on import, half known only by their author (the brand's handle).
        posts.append(post(text, is_own=i % 2 == 0, author_handle="bancoandino"))
    for i in range(own_distinctive):
        posts.append(post(DISTINCTIVE[i % len(DISTINCTIVE)], author_handle="BancoAndino"))
    for i in range(customers):
        posts.append(post(f"{CUSTOMERS[i % len(CUSTOMERS)]} {i}", author_handle=f"cliente{i}"))
    return posts


def test_q2_personality_on_own_posts(monkeypatch: pytest.MonkeyPatch) -> None:
    # The lexicon scoring on four posts (moved from test_questions_known.py); the
    # minimum sample has its own test below.
    monkeypatch.setattr(q02_personality.local, "MIN_OWN_POSTS", 1)
    own = {"is_own": True, "platform": "instagram"}
    posts = [
        post("Zapatillas trail resistentes para la montaña y el barro", **own),
        post("Built to last: tough and durable for every mountain trail", **own),
        post("Aventura sin límites en la sierra, con garra", **own),
        post("Gracias comunidad por su confianza", **own),
        post("Me encanta, qué elegante y exclusivo"),  # a customer: ignored
    ]
    result = answer("q2", window_for(posts, lang="es"))
    assert isinstance(result, PersonalityResult)
    assert result.posts_analyzed == result.own_posts == 4
    assert result.dominant_dimension == "ruggedness"
    dims = {d.dimension: d for d in result.dimensions}
    assert dims["ruggedness"].score == 0.75
    assert dims["sincerity"].score == 0.25
    assert dims["sophistication"].score == 0.0
    assert abs(sum(d.relative_weight for d in result.dimensions) - 1.0) < 1e-9
    terms = dims["ruggedness"].matched_terms
    assert (terms[0].term, terms[0].count) == ("trail", 2)
    assert len(terms) == 8  # the most frequent ones
    assert posts[0].id in dims["ruggedness"].example_post_ids

    none = answer("q2", window_for(posts[-1:]))
    assert isinstance(none, PersonalityResult)
    assert none.posts_analyzed == 0
    assert none.dominant_dimension is None
    assert any("No posts by the brand's own accounts" in n for n in none.notes)


def _terms(result: PersonalityResult) -> set[str]:
    lexicon_terms = {t.term for d in result.dimensions for t in d.matched_terms}
    return lexicon_terms | {t.term for t in result.distinctive_terms}


@pytest.mark.parametrize("lang", ["es", "en"])
def test_q2_evidence_is_the_brands_distinctive_phrases_not_its_boilerplate(lang: str) -> None:
    posts = _brand_window(own_service=34, own_distinctive=6, customers=40)
    # The brand's text retweeted by a customer is not one more brand post.
    posts.append(post(f"RT @bancoandino: {DISTINCTIVE[0]}", author_handle="fan"))
    result = answer("q2", window_for(posts, lang=lang))
    assert isinstance(result, PersonalityResult)
    assert result.own_posts == 40
    assert result.boilerplate_posts == 34
    terms = _terms(result)
    assert not {"gracias", "saludos", "detalles", "ayudamos", "mensaje"} & terms
    distinctive = " ".join(t.term for t in result.distinctive_terms)
    assert "app" in distinctive
    assert "innovador" in distinctive
    # No customer word is the brand's.
    assert not {"elegante", "exclusivo", "aventura", "garra"} & terms
    top = result.distinctive_terms[0]
    assert top.own_posts >= 6
    assert top.own_share > top.other_share
    assert result.dominant_dimension == "excitement"
    dims = {d.dimension: d for d in result.dimensions}
    assert dims["sophistication"].matched_posts == 0  # "más detalles" is not refinement
    assert dims["sincerity"].matched_posts == 0  # nor is "gracias" sincerity


@pytest.mark.parametrize("lang", ["es", "en"])
def test_q2_with_too_few_own_posts_says_so(lang: str) -> None:
    posts = _brand_window(own_service=2, own_distinctive=3, customers=200)
    result = answer("q2", window_for(posts, lang=lang))
    assert isinstance(result, PersonalityResult)
    assert result.own_posts == 5
    assert result.min_own_posts == q02_personality.local.MIN_OWN_POSTS
    assert result.own_posts < result.min_own_posts
    assert result.dominant_dimension is None
    assert result.weakest_dimension is None
    assert result.distinctive_terms == []
    assert not {"elegante", "exclusivo", "aventura", "garra"} & _terms(result)
    note = " ".join(result.notes)
    assert "5" in note
    assert str(result.min_own_posts) in note


def test_q2_counts_the_brands_retweets_of_others_as_not_its_voice() -> None:
    posts = _brand_window(own_service=0, own_distinctive=0, customers=10)
    posts += [
        post(f"RT @cliente{i}: Qué elegante y exclusiva la tarjeta {i}", is_own=True)
        for i in range(40)
    ]
    result = answer("q2", window_for(posts, lang="en"))
    assert isinstance(result, PersonalityResult)
    assert result.own_posts == 0
    assert result.dominant_dimension is None


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


def test_q2_payload_carries_the_same_brand_voice() -> None:
    window = window_for(_brand_window(own_service=34, own_distinctive=6, customers=40))
    result = answer("q2", window)
    assert isinstance(result, PersonalityResult)
    sent = payload.build(BY_KEY["q2"], window, Previous())["brand_voice"]
    assert sent["own_posts"] == result.own_posts
    assert sent["min_own_posts"] == result.min_own_posts
    assert sent["boilerplate_posts"] == result.boilerplate_posts
    assert sent["distinctive_terms"] == [t.model_dump() for t in result.distinctive_terms]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_q10_says_the_leading_emotion_with_the_neutral_share(lang: str) -> None:
    """Q10 repeats Q1's sentence (leading emotion among the 25% that show one, 75%
    neutral), never joy's 15% of all posts as 'the most frequent emotion'."""
    window = window_for(_emotional_window(), lang=lang)
    q1 = answer("q1", window)
    assert isinstance(q1, EmotionsResult)
    summary = answer("q10", window, {"q1": q1}).model_dump()
    assert q1.headline in summary["findings"]
    joy = EMOTION_NAMES[lang]["joy"]
    assert [f for f in summary["findings"] if joy in f.lower()] == [q1.headline]
