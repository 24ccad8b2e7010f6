"""The local intent parser on a fixed day: data questions in Spanish and English become
one tool call with its arguments (client by name or alias, accents and case aside;
platform, sentiment, emotion, topic, own posts or mentions; the period as local days),
and anything else is None. Pure: no database."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from app.chat.dates import describe_period, find_period, local_bounds
from app.chat.intents import ClientRef, ToolCall, find_client, fold, follow_up, parse
from app.chat.tools import TOOLS
from app.demo.generator import DEMO_CLIENTS

TODAY = date(2026, 4, 15)  # a Wednesday
CLIENTS = [
    *(ClientRef(uuid.uuid5(uuid.NAMESPACE_DNS, c.key), c.name) for c in DEMO_CLIENTS),
    ClientRef(uuid.UUID(int=7), "Andes Sport", ("Andes",)),
]
IDS = {c.name: str(c.id) for c in CLIENTS}
BANCO, VERTICE, ANDES = IDS["Banco Andino"], IDS["Vértice Sport"], IDS["Andes Sport"]


def ask(text: str, language: str = "es", **kwargs: Any) -> ToolCall | None:
    return parse(text, language=language, clients=CLIENTS, today=TODAY, **kwargs)


EXAMPLES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "¿cuántas publicaciones negativas tuvo Banco Andino en marzo?",
        "count_posts",
        {"client_id": BANCO, "sentiment": "negative", "since": "2026-03-01", "until": "2026-03-31"},
    ),
    (
        "how many posts did Andes Sport publish last week?",
        "count_posts",
        {"client_id": ANDES, "own": True, "since": "2026-04-06", "until": "2026-04-12"},
    ),
    (
        "¿cuál es el engagement de Banco Andino en instagram este mes?",
        "engagement",
        {"client_id": BANCO, "platform": "instagram", "since": "2026-04-01", "until": "2026-04-15"},
    ),
    ("how many followers does Banco Andino have?", "followers", {"client_id": BANCO}),
    (
        "¿cuál es el sentimiento neto de Banco Andino?",
        "latest_results",
        {"client_id": BANCO, "questions": ["sentiment"]},
    ),
    (
        "¿cuál es la emoción dominante de Vértice Sport?",
        "latest_results",
        {"client_id": VERTICE, "questions": ["emotions"]},
    ),
    (
        "¿de qué temas se habla de Banco Andino?",
        "latest_results",
        {"client_id": BANCO, "questions": ["topics"]},
    ),
    ("what are the best time windows to post?", "latest_results", {"questions": ["temporal"]}),
    (
        "¿cuántos seguidores tendrá Banco Andino en 30 días?",
        "forecast",
        {"client_id": BANCO, "days": 30},
    ),
]


@pytest.mark.parametrize(("text", "tool", "arguments"), EXAMPLES)
def test_the_briefs_examples(text: str, tool: str, arguments: dict[str, Any]) -> None:
    assert ask(text) == ToolCall(tool, arguments)


PERIODS: list[tuple[str, str | None, str | None]] = [
    ("¿cuántas publicaciones hubo en marzo?", "2026-03-01", "2026-03-31"),
    ("how many posts in March?", "2026-03-01", "2026-03-31"),
    ("how many posts in May?", "2025-05-01", "2025-05-31"),  # still to come: last year's
    ("¿cuántas publicaciones en diciembre?", "2025-12-01", "2025-12-31"),
    ("¿cuántas publicaciones en abril?", "2026-04-01", "2026-04-15"),  # runs to today
    ("¿cuántas publicaciones en marzo de 2025?", "2025-03-01", "2025-03-31"),
    ("¿cuántas publicaciones la semana pasada?", "2026-04-06", "2026-04-12"),
    ("how many posts this week?", "2026-04-13", "2026-04-15"),
    ("¿cuántas publicaciones este mes?", "2026-04-01", "2026-04-15"),
    ("how many posts last month?", "2026-03-01", "2026-03-31"),
    ("how many posts in the last 30 days?", "2026-03-17", "2026-04-15"),
    ("¿cuántas publicaciones en los últimos 30 días?", "2026-03-17", "2026-04-15"),
    ("¿cuántas publicaciones en los últimos siete días?", "2026-04-09", "2026-04-15"),
    ("how many posts over the last 2 weeks?", "2026-04-02", "2026-04-15"),
    ("¿cuántas publicaciones ayer?", "2026-04-14", "2026-04-14"),
    ("¿cuántas publicaciones hubo hoy?", "2026-04-15", "2026-04-15"),
    ("how many posts this year?", "2026-01-01", "2026-04-15"),
    ("how many posts last year?", "2025-01-01", "2025-12-31"),
    ("¿cuántas publicaciones en 2025?", "2025-01-01", "2025-12-31"),
    ("¿cuántas publicaciones del 1 al 15 de marzo?", "2026-03-01", "2026-03-15"),
    ("¿cuántas publicaciones entre el 1 y el 15 de marzo?", "2026-03-01", "2026-03-15"),
    ("¿cuántas publicaciones del 28 de febrero al 3 de marzo?", "2026-02-28", "2026-03-03"),
    ("¿cuántas publicaciones del 20 de diciembre al 5 de enero?", "2025-12-20", "2026-01-05"),
    ("¿cuántas publicaciones del 1 de marzo al 15 de abril de 2025?", "2025-03-01", "2025-04-15"),
    ("how many posts from March 1 to 15?", "2026-03-01", "2026-03-15"),
    ("how many posts from March 1st to April 3rd, 2025?", "2025-03-01", "2025-04-03"),
    ("how many posts March 1-15?", "2026-03-01", "2026-03-15"),
    ("how many posts on 2026-03-01?", "2026-03-01", "2026-03-01"),
    ("how many posts from 2026-03-01 to 2026-03-10?", "2026-03-01", "2026-03-10"),
    ("¿cuántas publicaciones el 5 de marzo?", "2026-03-05", "2026-03-05"),
    ("how many posts on March 5th?", "2026-03-05", "2026-03-05"),
    ("¿cuántas publicaciones desde el 1 de marzo?", "2026-03-01", "2026-04-15"),
    ("how many posts since 2026-04-10?", "2026-04-10", "2026-04-15"),
    ("¿cuántas publicaciones hasta el 15 de marzo?", None, "2026-03-15"),
    ("¿cuántas publicaciones el 03/04/2026?", "2026-04-03", "2026-04-03"),  # day first
    ("¿cuántas publicaciones hubo el lunes?", "2026-04-13", "2026-04-13"),
    ("how many posts last Wednesday?", "2026-04-08", "2026-04-08"),  # today is one
    ("¿cuántas publicaciones hace 3 días?", "2026-04-12", "2026-04-12"),
    ("how many posts in Q1?", "2026-01-01", "2026-03-31"),
    ("¿cuántas publicaciones en el tercer trimestre de 2025?", "2025-07-01", "2025-09-30"),
    ("how many posts last quarter?", "2026-01-01", "2026-03-31"),
    ("¿cuántas publicaciones este trimestre?", "2026-04-01", "2026-04-15"),
    ("¿cuántas publicaciones hay?", None, None),
]


@pytest.mark.parametrize(("text", "since", "until"), PERIODS)
def test_periods_are_local_days_on_a_fixed_today(
    text: str, since: str | None, until: str | None
) -> None:
    call = ask(text, "en" if text.startswith("how") else "es")
    assert call is not None
    assert call.name == "count_posts"
    assert (call.arguments.get("since"), call.arguments.get("until")) == (since, until)


def test_dates_like_03_04_read_by_the_agents_language() -> None:
    found = find_period(fold("on 03/04/2026"), today=TODAY, language="en")
    assert found is not None
    assert found.period.since == date(2026, 3, 4)
    found = find_period(fold("el 03/04/2026"), today=TODAY, language="es")
    assert found is not None
    assert found.period.since == date(2026, 4, 3)


@pytest.mark.parametrize(
    "text",
    [
        "¿Cuántas publicaciones negativas tuvo BANCO ANDINO en marzo?",
        "¿cuantas publicaciones negativas tuvo banco andino en marzo?",
        "cuántas publicaciones negativas tuvo Banco-Andino en marzo",
    ],
)
def test_client_names_in_any_case_and_accents(text: str) -> None:
    call = ask(text)
    assert call is not None
    assert call.arguments["client_id"] == BANCO


@pytest.mark.parametrize(
    ("text", "client"),
    [
        ("¿cuántos seguidores tiene Vertice Sport?", VERTICE),
        ("¿cuántos seguidores tiene VÉRTICE SPORT?", VERTICE),
        ("¿cuántos seguidores tiene Vértice?", VERTICE),  # its one distinctive word
        ("how many followers does Andino have?", BANCO),
        ("how many followers does Andes have?", ANDES),  # an alias
        ("how many followers does Banco Andino's Instagram have?", BANCO),
    ],
)
def test_clients_by_name_alias_or_distinctive_word(text: str, client: str) -> None:
    call = ask(text, "en")
    assert call is not None
    assert call.arguments["client_id"] == client


def test_a_generic_word_names_no_client_and_the_default_fills_in() -> None:
    assert find_client(fold("¿cuántas publicaciones tuvo el banco?"), CLIENTS) is None
    call = ask("¿cuántas publicaciones tuvo el banco?", default_client=uuid.UUID(int=7))
    assert call == ToolCall("count_posts", {"client_id": ANDES})
    named = ask("¿cuántas publicaciones tuvo Banco Andino?", default_client=uuid.UUID(int=7))
    assert named is not None
    assert named.arguments["client_id"] == BANCO


@pytest.mark.parametrize(
    ("text", "platform"),
    [
        ("¿cuántas publicaciones en Instagram?", "instagram"),
        ("how many posts on IG?", "instagram"),
        ("¿cuántas publicaciones en Twitter?", "x"),
        ("¿cuántos tuits negativos?", "x"),
        ("how many posts on X yesterday?", "x"),
        ("¿cuántas publicaciones en facebook?", "facebook"),
        ("¿cuántas publicaciones en TikTok?", "tiktok"),
        ("how many posts on LinkedIn?", "linkedin"),
        ("¿cuántas publicaciones en YouTube?", "youtube"),
    ],
)
def test_platforms_and_their_aliases(text: str, platform: str) -> None:
    call = ask(text)
    assert call is not None
    assert call.arguments["platform"] == platform


@pytest.mark.parametrize(
    ("text", "filters"),
    [
        ("¿cuántas publicaciones positivas tuvo Banco Andino?", {"sentiment": "positive"}),
        ("how many negative posts did Banco Andino have?", {"sentiment": "negative"}),
        ("¿cuántas publicaciones neutras hubo?", {"sentiment": "neutral"}),
        ("¿cuántas publicaciones con alegría?", {"emotion": "joy"}),
        ("¿cuántas publicaciones con ira hubo ayer?", {"emotion": "anger"}),
        ("¿cuántos usuarios enojados publicaron?", {"emotion": "anger"}),
        ("how many angry posts?", {"emotion": "anger"}),
        ("¿cuántas publicaciones con miedo?", {"emotion": "fear"}),
        ("how many posts show sadness?", {"emotion": "sadness"}),
        ("¿cuántas publicaciones de sorpresa?", {"emotion": "surprise"}),
        ("how many posts with disgust?", {"emotion": "disgust"}),
        ("¿cuántas publicaciones muestran confianza?", {"emotion": "trust"}),
        (
            "¿cuántas menciones negativas tuvo Banco Andino?",
            {"sentiment": "negative", "own": False},
        ),
        ("¿cuántas publicaciones propias tuvo Banco Andino?", {"own": True}),
        (
            "¿cuántas publicaciones sobre tarjetas de crédito tuvo Banco Andino en marzo?",
            {"topic": "tarjetas de crédito"},
        ),
        ('how many posts about "Andino Pay" last week?', {"topic": "Andino Pay"}),
        ("how many posts about the new app did Banco Andino get?", {"topic": "new app"}),
        ("¿cuántas publicaciones hablan «del cajero»?", {"topic": "del cajero"}),
    ],
)
def test_sentiments_emotions_topics_and_own_posts(text: str, filters: dict[str, Any]) -> None:
    call = ask(text)
    assert call is not None
    assert call.name == "count_posts"
    assert {k: call.arguments.get(k) for k in filters} == filters


@pytest.mark.parametrize(
    ("text", "tool", "arguments"),
    [
        (
            "¿cuántos seguidores ganó Banco Andino el mes pasado?",
            "followers",
            {"client_id": BANCO, "since": "2026-03-01", "on": "2026-03-31"},
        ),
        (
            "¿cuántos seguidores tenía Banco Andino ayer?",
            "followers",
            {"client_id": BANCO, "on": "2026-04-14"},
        ),
        (
            "forecast the followers of Vertice Sport in 2 weeks",
            "forecast",
            {"client_id": VERTICE, "days": 14},
        ),
        (
            "¿cuántos seguidores tendrá Banco Andino en Instagram el próximo mes?",
            "forecast",
            {"client_id": BANCO, "platform": "instagram", "days": 30},
        ),
        (
            "how many followers will Banco Andino have in 6 months?",
            "forecast",
            {"client_id": BANCO, "days": 90},  # the forecast's longest horizon
        ),
        (
            "¿cuántos likes tuvo Banco Andino en x en marzo?",
            "engagement",
            {"client_id": BANCO, "platform": "x", "since": "2026-03-01", "until": "2026-03-31"},
        ),
        (
            "what was the engagement rate of our own posts last month?",
            "engagement",
            {"own": True, "since": "2026-03-01", "until": "2026-03-31"},
        ),
        (
            "dame un resumen de Banco Andino",
            "latest_results",
            {"client_id": BANCO, "questions": ["summary"]},
        ),
        ("what are the latest insights for Andes Sport?", "latest_results", {"client_id": ANDES}),
        (
            "¿cuál es el mejor horario para publicar en Vértice Sport?",
            "latest_results",
            {"client_id": VERTICE, "questions": ["temporal"]},
        ),
        (
            "what are people talking about regarding Andino?",
            "latest_results",
            {"client_id": BANCO, "questions": ["topics"]},
        ),
        (
            "what is the net sentiment of Banco Andino?",
            "latest_results",
            {"client_id": BANCO, "questions": ["sentiment"]},
        ),
        (
            "¿hubo publicaciones negativas ayer?",
            "count_posts",
            {"sentiment": "negative", "since": "2026-04-14", "until": "2026-04-14"},
        ),
    ],
)
def test_other_intents(text: str, tool: str, arguments: dict[str, Any]) -> None:
    assert ask(text) == ToolCall(tool, arguments)


@pytest.mark.parametrize(
    "text",
    [
        "hola",
        "Hello!",
        "gracias",
        "¿qué es una tarjeta de crédito?",
        "¿qué es el engagement?",
        "what is net sentiment?",
        "¿cómo puedo mejorar el engagement de mis publicaciones?",
        "how can we increase our followers?",
        "escribe una publicación para Instagram sobre la nueva tarjeta",
        "write a post about our new app",
        "¿cuál es el horario de atención de las agencias?",
        "may I ask something?",
        "",
        "   ",
    ],
)
def test_anything_else_is_not_a_data_question(text: str) -> None:
    assert ask(text) is None


@pytest.mark.parametrize("text", [text for text, _, _ in EXAMPLES])
def test_every_call_fits_its_tools_arguments(text: str) -> None:
    call = ask(text)
    assert call is not None
    TOOLS[call.name].parameters.model_validate(call.arguments)


def test_fold_keeps_every_position() -> None:
    text = "¿Cuántas publicaciones tuvo Vértice Sport en «Ñandú» año?"
    folded = fold(text)
    assert len(folded) == len(text)
    assert folded == " cuantas publicaciones tuvo vertice sport en «nandu» ano?"


def test_periods_are_named_and_bounded_in_the_tenants_zone() -> None:
    assert describe_period(date(2026, 3, 1), date(2026, 3, 31), "es") == (
        "del 1 al 31 de marzo de 2026"
    )
    assert describe_period(date(2025, 12, 28), date(2026, 1, 3), "es") == (
        "del 28 de diciembre de 2025 al 3 de enero de 2026"
    )
    assert describe_period(date(2026, 2, 28), date(2026, 3, 3), "es") == (
        "del 28 de febrero al 3 de marzo de 2026"
    )
    assert describe_period(date(2026, 11, 23), date(2026, 11, 29), "en") == (
        "from 2026-11-23 to 2026-11-29"
    )
    assert describe_period(None, None, "en") == "over all time"
    start, end = local_bounds(date(2026, 3, 1), date(2026, 3, 31), "America/Lima")
    assert start is not None
    assert end is not None
    assert (start.isoformat(), end.isoformat()) == (
        "2026-03-01T05:00:00+00:00",
        "2026-04-01T05:00:00+00:00",
    )


# --- follow-ups ------------------------------------------------------------------------

NEGATIVE_IN_MARCH = ToolCall(
    "count_posts",
    {"client_id": BANCO, "sentiment": "negative", "since": "2026-03-01", "until": "2026-03-31"},
)


def follow(text: str, previous: ToolCall, language: str = "es") -> ToolCall | None:
    return follow_up(text, previous, language=language, clients=CLIENTS, today=TODAY)


@pytest.mark.parametrize(
    ("text", "changed"),
    [
        ("¿Y en febrero?", {"since": "2026-02-01", "until": "2026-02-28"}),
        ("y la semana pasada?", {"since": "2026-04-06", "until": "2026-04-12"}),
        ("and on Instagram?", {"platform": "instagram"}),
        ("¿Y Vértice Sport?", {"client_id": VERTICE}),
        (
            "what about Andes in January?",
            {"client_id": ANDES, "since": "2026-01-01", "until": "2026-01-31"},
        ),
    ],
)
def test_a_follow_up_changes_only_what_it_names(text: str, changed: dict[str, Any]) -> None:
    call = follow(text, NEGATIVE_IN_MARCH, "en" if text.startswith(("and", "what")) else "es")
    assert call == ToolCall("count_posts", {**NEGATIVE_IN_MARCH.arguments, **changed})
    TOOLS["count_posts"].parameters.model_validate(call.arguments)


def test_a_follow_up_reads_each_tools_period_its_own_way() -> None:
    followers = ToolCall(
        "followers", {"client_id": BANCO, "on": "2026-03-31", "since": "2026-03-01"}
    )
    assert follow("¿Y en febrero?", followers) == ToolCall(
        "followers", {"client_id": BANCO, "on": "2026-02-28", "since": "2026-02-01"}
    )
    latest = ToolCall("latest_results", {"client_id": BANCO, "questions": ["topics"]})
    assert follow("¿y Vértice Sport?", latest) == ToolCall(
        "latest_results", {"client_id": VERTICE, "questions": ["topics"]}
    )
    assert follow("¿Y en febrero?", latest) is None  # the latest results have no period


@pytest.mark.parametrize(
    "text",
    [
        "¿Y qué opinas del clima?",  # names nothing the previous call takes
        "en febrero",  # no follow-up word: a question of its own (and not a data one)
        "Y ahora cuéntame con detalle todo lo que pasó con la marca durante el mes de febrero",
    ],
)
def test_what_is_not_a_follow_up(text: str) -> None:
    assert follow(text, NEGATIVE_IN_MARCH) is None
