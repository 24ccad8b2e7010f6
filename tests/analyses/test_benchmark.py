"""Q11 competitive benchmark on small windows built to break it."""

from __future__ import annotations

from dataclasses import replace

from app.analyses.questions.q11_benchmark.result import BenchmarkResult
from app.clients.service import CompetitorProfile
from tests.analyses.builders import CLIENT, answer, post, window_for

BCP = CompetitorProfile("BCP", handles=("bcp_peru",), aliases=("Banco de Crédito",))
CLIENT_WITH_RIVALS = replace(CLIENT, competitors=(BCP, CompetitorProfile("Interbank")))


def _benchmark(posts: list, client=CLIENT_WITH_RIVALS) -> BenchmarkResult:  # type: ignore[type-arg]
    result = answer("q11", window_for(posts, client=client))
    assert isinstance(result, BenchmarkResult)
    return result


def test_share_of_voice_counts_what_others_say_of_each() -> None:
    posts = [
        post("Excelente atención de Banco Andino, gracias", likes=10),
        post("Pésimo servicio de @bancoandino, otra vez caída la app"),
        post("El banco de crédito me cobró una comisión absurda"),
        post("Nada que ver", author_handle="otro"),
        # The competitor's own post: not a mention of it.
        post("Abre tu cuenta hoy", author_handle="bcp_peru", likes=500),
        # A retweet of the competitor's own post spreads its voice: own, not a mention.
        post("RT @bcp_peru: Abre tu cuenta hoy", author_handle="fan", likes=500),
        # Names both.
        post("Me cambio de BCP a Banco Andino, mejor app", likes=7),
    ]
    result = _benchmark(posts)
    brand, bcp, interbank = result.contenders
    assert (brand.name, brand.is_brand) == ("Banco Andino", True)
    assert (brand.mentions, bcp.mentions, interbank.mentions) == (3, 2, 0)
    assert bcp.own_posts == 2
    assert result.mentions_total == 4
    assert result.both_named == 1
    assert [e.text for e in result.both_named_examples] == [
        "Me cambio de BCP a Banco Andino, mejor app"
    ]
    assert round(brand.share_of_voice + bcp.share_of_voice + interbank.share_of_voice, 3) == 1
    assert brand.share_of_voice == round(3 / 5, 4)
    assert interbank.share_of_voice == 0
    assert brand.negative_share > 0
    assert bcp.negative_share > 0


def test_a_word_inside_another_is_not_a_mention() -> None:
    # "BCP" inside a longer token, and a competitor's name as part of another word.
    posts = [post("Mi código es XBCP123 y uso interbanking de otro banco")]
    result = _benchmark(posts)
    assert [c.mentions for c in result.contenders] == [0, 0, 0]


def test_retweets_carry_no_engagement_of_their_own() -> None:
    posts = [
        post("Qué buena la app de BCP", author_handle="autora", likes=4, shares=900),
        post("RT @autora: Qué buena la app de BCP", author_handle="rt1", likes=4, shares=900),
    ]
    result = _benchmark(posts)
    bcp = result.contenders[1]
    assert bcp.mentions == 2
    assert bcp.mean_engagement == (4 + 1 + 900) / 2  # likes, comments, shares; the RT: 0


def test_without_competitors_it_says_how_to_add_them() -> None:
    result = answer(
        "q11",
        window_for(
            [post("Gracias Banco Andino")], client=replace(CLIENT, competitors=()), lang="es"
        ),
    )
    assert isinstance(result, BenchmarkResult)
    assert [c.name for c in result.contenders] == ["Banco Andino"]
    assert any("competidores" in note for note in result.notes)
