"""The brand and its competitors in a window (app/analyses/brand.py), and the rules
that follow from them: who is a partner, who has a stance, retweets and copies."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from app.analyses.brand import BrandMatcher, is_media
from app.analyses.questions.q04_frames.result import FramesResult
from app.analyses.questions.q05_influencers.local import other_authors, rank_authors
from app.analyses.questions.q05_influencers.result import InfluencersResult
from app.analyses.questions.q09_recommendations.result import RecommendationsResult
from app.analyses.questions.q10_summary.result import SummaryResult
from app.analyses.records import Copies, PostRecord
from app.analyses.registry import QUESTIONS
from app.analyses.window import Window
from app.clients.service import CompetitorProfile
from bench.real_data import BBVA_CSV, DATA, bbva_records
from tests.analyses.builders import CLIENT, END, answer, post, window_for

RIVAL = CompetitorProfile("Banco Rival", handles=("rival_pe",), aliases=("El Rival",))
CLIENT_WITH_RIVAL = replace(CLIENT, aliases=("BA Perú", "Andino"), competitors=(RIVAL,))


# --------------------------------------------------------------------------- matching


def test_brand_matcher_knows_the_brand_and_where_posts_name_it() -> None:
    own = post("hola", account_handle="BancoAndino_PE", author_handle="bancoandino_pe", is_own=True)
    brand = BrandMatcher.of([own], ["@bancoandino"], "Banco Andino")
    assert brand.handles == frozenset({"bancoandino_pe", "bancoandino"})
    assert brand.is_own("@BancoAndino")
    assert not brand.is_own("bcp")
    assert brand.mentions(post("gracias", mentions=("BancoAndino_PE",)))
    assert brand.mentions(post("gracias", hashtags=("#bancoandino",)))
    assert brand.mentions(post("Me atendieron bien en el BANCO ÁNDINO"))  # case and accents
    assert brand.mentions(post("cuenta en bancoandino"))  # the name without spaces
    assert brand.mentions(post("Viva #BancoAndino"))  # as a hashtag in the text
    assert brand.mentions(post("Pésimo servicio de @bancoandino"))  # a handle in the text
    assert not brand.mentions(post("el banco de los andes", hashtags=("#banco",)))
    assert not BrandMatcher("BA").names  # names under 3 letters are not searched


def test_names_match_on_word_boundaries_not_inside_words() -> None:
    bbva = BrandMatcher("BBVA")
    assert bbva.mentions(post("Mi tarjeta del BBVA no funciona"))
    assert bbva.mentions(post("bbva: la app otra vez caída"))
    assert bbva.mentions(post("escríbanle a @BBVA_Peru"))  # "_" separates words
    assert not bbva.mentions(post("mi usuario es bbvaxyz"))
    assert not bbva.mentions(post("código XBBVA123"))
    bcp = BrandMatcher("BCP")
    assert not bcp.mentions(post("Mi código es XBCP123"))
    interbank = BrandMatcher("Interbank")
    assert not interbank.mentions(post("uso interbanking de otro banco"))


def test_aliases_and_accents_of_a_competitor() -> None:
    rival = BrandMatcher(RIVAL.name, RIVAL.handles, RIVAL.aliases)
    assert rival.mentions(post("En el banco rival me cobraron de más"))
    assert rival.mentions(post("EL RÍVAL cerró mi cuenta"))  # an alias, accent and case
    assert rival.mentions(post("#BancoRival nunca más"))
    assert rival.mentions(post("cc @Rival_PE"))
    assert not rival.mentions(post("rivalidad entre bancos"))
    assert rival.is_own("rival_pe")
    assert rival.is_own("BancoRival_Ar")  # an account named after it
    assert rival.is_own("bancorivalmx")  # its name and a country, glued
    assert not rival.is_own("odio_banco_rival")  # naming it is not owning it
    assert rival.name == "Banco Rival"


def test_the_window_matches_the_brand_aliases_and_the_competitors() -> None:
    window = window_for(
        [post("Andino me resolvió todo"), post("El Rival es mejor")], client=CLIENT_WITH_RIVAL
    )
    assert window.brand.mentions(window.posts[0])
    assert not window.brand.mentions(window.posts[1])
    (rival,) = window.competitors
    assert rival.name == "Banco Rival"
    assert rival.mentions(window.posts[1])
    assert not rival.mentions(window.posts[0])
    assert rival.is_own("@rival_pe")
    assert not window.brand.is_own("rival_pe")


def test_media_and_institution_accounts() -> None:
    for handle in ("marca", "@Marca", "RPPNoticias", "diariocorreo", "Latina_TV", "TVAzteca"):
        assert is_media(handle), handle
    for handle in ("gob_mx", "MinisterioSalud", "CNNEE"):
        assert is_media(handle), handle
    for handle in ("megafan", "marcabien", "tvfan_", "juanperez", "radiohead_fan2", ""):
        assert not is_media(handle), handle


# --------------------------------------------------------------------------- stance and roles


def _competitor_and_fans() -> list:  # type: ignore[type-arg]
    posts = [
        # The competitor speaks a lot, warmly, with a large audience and engagement.
        post(
            f"Gracias a todos, excelente semana con Banco Andino y sus clientes {i}",
            author_handle="rival_pe",
            author_followers=900_000,
            likes=50_000,
            shares=4_000,
            published_at=END - timedelta(days=1 + i % 5),
        )
        for i in range(6)
    ]
    posts += [
        post(
            f"Excelente atención de @bancoandino, los recomiendo {i}",
            author_handle="fan",
            author_followers=3_000,
            likes=40,
            mentions=("bancoandino",),
        )
        for i in range(3)
    ]
    posts += [post(f"Otro día normal {i}", author_handle=f"user{i}") for i in range(10)]
    return posts


def test_a_competitor_that_engages_a_lot_is_a_competitor_voice_never_a_partner() -> None:
    window = window_for(_competitor_and_fans(), client=CLIENT_WITH_RIVAL)
    q5 = answer("q5", window)
    assert isinstance(q5, InfluencersResult)
    by = {a.handle: a for a in q5.authors}
    assert by["rival_pe"].role == "competitor"
    assert by["rival_pe"].stance == "supportive"  # it does name the brand, warmly
    assert by["fan"].role == "voice"
    for lang in ("en", "es"):
        window = window_for(_competitor_and_fans(), client=CLIENT_WITH_RIVAL, lang=lang)
        stored = {"q5": answer("q5", window)}
        q9 = answer("q9", window, stored)
        assert isinstance(q9, RecommendationsResult)
        texts = [r.action for r in q9.recommendations]
        assert not any("rival_pe" in t for t in texts), texts
        assert any("@fan" in t for t in texts), texts  # the real fan is the partner
        q10 = answer("q10", window, stored)
        assert isinstance(q10, SummaryResult)
        assert not any("rival_pe" in t for t in q10.opportunities), q10.opportunities
        assert any("@fan" in t for t in q10.opportunities)


def _football() -> list:  # type: ignore[type-arg]
    texts = [
        "EN DIRECTO | Nyom deja KO a Messi con el brazo... Nyom no vio tarjeta, qué vergüenza",
        "Cabaco se jugó la tarjeta roja en esa jugada horrible, pésimo arbitraje",
    ]
    posts = [post(t, author_handle="marca", author_followers=5_000_000, likes=900) for t in texts]
    posts += [
        post(f"{t}, lo vi en el estadio", author_handle="hincha", author_followers=80_000)
        for t in texts
    ]
    posts += [post(f"Buen servicio del Banco Andino {i}", author_handle=f"c{i}") for i in range(5)]
    return posts


def test_authors_who_never_name_the_brand_have_no_stance() -> None:
    window = window_for(_football(), lang="es")
    q5 = answer("q5", window)
    assert isinstance(q5, InfluencersResult)
    by = {a.handle: a for a in q5.authors}
    assert by["marca"].mean_sentiment < -0.2  # negative posts, but about football
    assert (by["marca"].stance, by["marca"].brand_mention_posts) == (None, 0)
    assert by["marca"].role == "media"
    assert (by["hincha"].stance, by["hincha"].role) == (None, "voice")
    assert by["c0"].stance == "supportive"
    stored = {"q5": q5}
    q9 = answer("q9", window, stored)
    assert isinstance(q9, RecommendationsResult)
    assert not any("marca" in r.action or "hincha" in r.action for r in q9.recommendations)
    q10 = answer("q10", window, stored)
    assert isinstance(q10, SummaryResult)
    assert not any("marca" in t or "hincha" in t for t in q10.risks)


def test_media_are_never_partners() -> None:
    posts = [
        post(
            f"Gran alianza: Banco Andino lanza su nueva app, excelente noticia {i}",
            author_handle="rppnoticias",
            author_followers=2_000_000,
            likes=3_000,
        )
        for i in range(3)
    ]
    window = window_for(posts, lang="es")
    q5 = answer("q5", window)
    assert isinstance(q5, InfluencersResult)
    assert (q5.authors[0].role, q5.authors[0].stance) == ("media", "supportive")
    q9 = answer("q9", window, {"q5": q5})
    assert isinstance(q9, RecommendationsResult)
    assert not any("rppnoticias" in r.action for r in q9.recommendations)
    q10 = answer("q10", window, {"q5": q5})
    assert isinstance(q10, SummaryResult)
    assert not any("rppnoticias" in t for t in q10.opportunities)


# --------------------------------------------------------------------------- retweets and copies

ORIGINAL = "Gracias Banco Andino por la promo de entradas, excelente regalo para mi familia"


def _retweeted(original_in_window: bool) -> list:  # type: ignore[type-arg]
    posts = []
    if original_in_window:
        posts.append(
            post(ORIGINAL, author_handle="promo", author_followers=20_000, likes=300, shares=120)
        )
    # On X a retweet's row carries the original's counts (here 300 likes, 120 retweets).
    posts += [
        post(
            f"RT @promo: {ORIGINAL}",
            author_handle=f"retweeter{i}",
            author_followers=100,
            likes=300,
            shares=120,
        )
        for i in range(12)
    ]
    posts += [post(ORIGINAL, author_handle="copycat", likes=2)]  # the same text, not a RT
    posts += [
        post(f"Otra cosa distinta sobre cuentas y tarjetas número {i}", author_handle=f"u{i}")
        for i in range(6)
    ]
    return posts


def test_copies_find_retweets_and_repeated_texts() -> None:
    posts = _retweeted(original_in_window=True)
    copies = Copies.of(posts)
    assert (copies.retweets, copies.duplicates) == (12, 1)
    assert list(copies.originals) == [0, *range(14, 20)]
    assert set(copies.copy_of[:14]) == {0}
    # A retweet cut short by X ("…") still points to its original.
    cut = post(f"RT @promo: {ORIGINAL[:40]}…", author_handle="late")
    assert Copies.of([*posts, cut]).copy_of[-1] == 0
    # The original is not in the window: the first copy that is no retweet counts...
    absent = Copies.of(_retweeted(original_in_window=False))
    assert set(absent.copy_of[:13]) == {12}
    # ... or the first retweet when there is none.
    only = Copies.of(_retweeted(original_in_window=False)[:12])
    assert list(only.originals) == [0]
    assert set(only.copy_of) == {0}
    # Posts without text are each their own.
    assert list(Copies.of([post(""), post("")]).originals) == [0, 1]


def test_a_retweet_has_no_engagement_of_its_own() -> None:
    window = window_for(_retweeted(original_in_window=True))
    rt = window.posts[1]
    assert rt.is_retweet
    assert rt.engagement == 0
    assert rt.row_engagement == 421
    assert window.rates[1] == 0.0
    assert window.posts[0].engagement == 421  # 300 likes + 1 comment + 120 shares


@pytest.mark.parametrize("original_in_window", [True, False])
def test_retweets_of_one_text_count_once_and_credit_the_original(
    original_in_window: bool,
) -> None:
    window = window_for(_retweeted(original_in_window), lang="es")
    q5 = answer("q5", window)
    assert isinstance(q5, InfluencersResult)
    handles = [a.handle for a in q5.authors]
    assert not any(h.startswith("retweeter") for h in handles)  # no credit for retweeting
    promo = next(a for a in q5.authors if a.handle == "promo")
    assert promo.posts == 1
    assert promo.retweets == 12
    assert promo.total_engagement == 421  # once, not 12 times
    assert promo.stance == "supportive"
    if original_in_window:
        assert "copycat" not in handles  # the same text again counts once, for its author
    assert q5.posts_analyzed == 7  # the original and six other texts
    # Topics: every copy carries its original's topics; frames count the text once.
    first = window.copy_of[1]
    assert all(window.posts[i].topics == window.posts[first].topics for i in range(1, 13))
    q4 = answer("q4", window)
    assert isinstance(q4, FramesResult)
    assert q4.posts_analyzed == 7
    for frame in q4.frames:
        texts = [e.text for e in frame.examples]
        assert not any(t.startswith("RT @") for t in texts)
        assert len(texts) == len(set(texts))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_result_says_how_many_posts_were_retweets_or_duplicates(lang: str) -> None:
    window = window_for(_retweeted(original_in_window=True), lang=lang)
    assert (window.retweets, window.duplicates) == (12, 1)
    stored = {q.key: answer(q.key, window) for q in QUESTIONS if not q.depends_on}
    for q in QUESTIONS:
        result = stored.get(q.key) or answer(q.key, window, stored)
        notes = " ".join(result.notes)  # type: ignore[attr-defined]
        assert ("12 of the 20 posts are retweets" if lang == "en" else "12 de las 20") in notes, (
            q.key,
            notes,
        )
        assert ("1 repeat" if lang == "en" else "1 repiten") in notes, (q.key, notes)


def test_a_window_without_copies_says_nothing_about_them() -> None:
    window = window_for([post(f"texto distinto {i}") for i in range(5)])
    assert (window.retweets, window.duplicates, len(window.originals)) == (0, 0, 5)
    assert not any("retweet" in n for n in window.notes)


# --------------------------------------------------------------------------- BBVA.csv

BBVA = DATA / BBVA_CSV


def _bbva_posts() -> list[PostRecord]:
    """The tweets as an analyst of BBVA Perú imports them (bench/real_data.py)."""
    return bbva_records(BBVA, "bbva_peru".__eq__)


@pytest.mark.skipif(not BBVA.exists(), reason="the BBVA file is not in ../shared/data")
def test_bbva_competitors_and_media_are_never_partners_nor_favourable() -> None:
    # Competitors by name alone, as a client stored before handles existed.
    client = replace(
        CLIENT,
        name="BBVA Perú",
        handles=("bbva_peru",),
        aliases=("BBVA",),
        competitors=(CompetitorProfile("Santander"), CompetitorProfile("Citibanamex")),
    )
    posts = _bbva_posts()
    window = Window.build(
        posts,
        client=client,
        start=posts[0].published_at,
        end=posts[-1].published_at + timedelta(seconds=1),
        language="es",
        timezone="America/Lima",
    )
    assert window.retweets > 0.3 * window.n  # about 36% of the rows are "RT @..."
    assert len(window.originals) < 0.7 * window.n
    q5 = answer("q5", window)
    assert isinstance(q5, InfluencersResult)
    by = {a.handle: a for a in rank_authors(window, other_authors(window))}
    assert by["citibanamex"].role == "competitor"
    assert by["santandermx"].role == "competitor"
    assert (by["marca"].role, by["marca"].stance) == ("media", None)  # football, not BBVA
    assert all(a.stance is None for a in by.values() if not a.brand_mention_posts)
    assert not any(h.startswith("bbva") for h in by)  # the brand's accounts are not voices
    assert str(window.retweets) in " ".join(q5.notes).replace(".", "")
    stored = {q.key: answer(q.key, window) for q in QUESTIONS if not q.depends_on}
    q9 = answer("q9", window, stored)
    assert isinstance(q9, RecommendationsResult)
    named = [h.lower() for r in q9.recommendations for h in re.findall(r"@(\w+)", r.action)]
    assert not any(by[h].role in ("competitor", "media") for h in named if h in by)
    assert "citibanamex" not in named
    assert "marca" not in named
    q10 = answer("q10", window, stored)
    assert isinstance(q10, SummaryResult)
    voices = " ".join(q10.opportunities + q10.risks).lower()
    assert "@citibanamex" not in voices
    assert "@marca" not in voices


def test_the_note_names_only_the_kinds_of_copies_found() -> None:
    repeated = window_for([post("mismo texto"), post("mismo texto"), post("otro")], lang="es")
    assert repeated.notes[0].startswith("1 de las 3 publicaciones repiten el texto")
    retweeted = window_for([post("hola a todos"), post("RT @cliente: hola a todos")])
    assert retweeted.notes[0].startswith("1 of the 2 posts are retweets:")
