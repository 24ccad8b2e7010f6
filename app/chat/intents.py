"""The local engine's reading of a data question: which tool answers it, with which
arguments. Pure (no database): the caller gives the tenant's clients and today's date.

It reads Spanish and English whatever the agent's language, on folded text (lower case,
no accents), and answers None for anything that is not a question about the tenant's
data: greetings, definitions ("¿qué es el engagement?"), requests for advice or for
content ("¿cómo mejoro el engagement?", "escribe un post"). It never guesses: a question
it does not recognise is None, and the engine says it cannot answer it.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.chat.dates import NUMBER, FoundPeriod, Period, find_period, month_end, number


@dataclass(frozen=True)
class ClientRef:
    """A client as a question may name it: its name or one of its aliases."""

    id: uuid.UUID
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ToolCall:
    """A tool to call and its arguments (JSON values: ids and dates as strings)."""

    name: str
    arguments: dict[str, Any]


def fold(text: str) -> str:
    """Lower case without accents ("¿Cuántas?" -> " cuantas?"), one character for each
    character of `text`, so a span found in the folded text is the same span of `text`."""
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch.lower())
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
        ).lower()
        out.append(base[0] if len(base) >= 1 and base[0].isalnum() else " " if ch in "¿¡" else ch)
    return "".join(out)


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# --------------------------------------------------------------------------- vocabulary

_COUNT = _re(
    r"\b(?:cuant[oa]s|numero\s+de|cantidad\s+de|total\s+de|volumen\s+de|how\s+many|number\s+of"
    r"|count|volume\s+of|amount\s+of)\b"
)
_EXISTS = _re(
    r"\b(?:hay|hubo|habia|ha\s+habido|tuvo|tiene|tienen|tuvieron|are\s+there|were\s+there"
    r"|was\s+there|is\s+there|any)\b"
)
_POSTS = _re(
    r"\b(?:publicaciones|publicacion|posts|post|menciones|mencion|mentions|mention|tuits|tuit"
    r"|tweets|tweet|mensajes)\b"
)
_FOLLOWERS = _re(r"\b(?:seguidores|seguidor|followers|follower|fans|audiencia|audience)\b")
_FUTURE = _re(
    r"\b(?:tendra|tendran|habra|alcanzara|alcanzaran|llegara|llegaran|sumara|ganara"
    r"|va\s+a\s+tener|van\s+a\s+tener|vamos\s+a\s+tener|will|going\s+to\s+have|expected"
    r"|se\s+espera|esperamos|dentro\s+de|proximos?|proximas?|next|siguientes|que\s+viene)\b"
)
_FORECAST = _re(
    r"\b(?:pronostico|pronosticos|proyeccion|proyecciones|prediccion|predicciones|predice"
    r"|proyecta|forecast|forecasts|predict|predicted|prediction|projection|projected)\b"
)
_ENGAGEMENT = _re(
    r"\b(?:engagement|interaccion|interacciones|likes|like|comentarios|comments|compartidos"
    r"|shares|reacciones|reactions|retuits|retweets)\b|\bcuant[oa]s\s+me\s+gusta\b"
)
_TEMPORAL = _re(
    r"\b(?:mejor(?:es)?\s+(?:hora|horas|horario|horarios|momento|momentos|dia|dias|franja"
    r"|franjas)|(?:hora|horas|horario|horarios|momento)\s+ideal(?:es)?|ideal\s+(?:time|times|hour)"
    r"|franjas?\s+horarias?|best\s+(?:time|times|hour|hours|day|days|slot|slots|window"
    r"|windows)|time\s+windows?|when\s+(?:should\s+(?:we|i)\s+|to\s+|is\s+the\s+best\s+time\s+to\s+)"
    r"(?:post|publish)|what\s+time\s+(?:should|to)|cuando\s+(?:debo\s+|debemos\s+|deberia\s+"
    r"|deberiamos\s+|conviene\s+|es\s+mejor\s+)?publicar|a\s+que\s+hora\s+(?:publicar|conviene"
    r"|debo|debemos))"
)
_RESULTS = {
    "sentiment": _re(r"\b(?:sentimiento|sentimientos|sentiment|tono|tone)\b"),
    "emotions": _re(r"\b(?:emocion|emociones|emocional|emotion|emotions|emotional)\b"),
    "topics": _re(
        r"\b(?:temas|tema|topics|topic|de\s+que\s+(?:se\s+)?(?:habla|hablan|trata|tratan)"
        r"|talking\s+about|talk\s+about)\b"
    ),
    "summary": _re(r"\b(?:resumen|summary|overview|panorama)\b"),
}
# Every question the chat's summaries cover: asked for by "insights", "resultados"...
_ALL_RESULTS = _re(
    r"\b(?:insights|hallazgos|findings|resultados|results|analisis|analysis|conclusiones)\b"
)
_DEFINITION = _re(
    r"^\W*(?:que\s+(?:es|son|significa|significan|quiere\s+decir)|como\s+se\s+(?:calcula|define"
    r"|mide)|what\s+(?:is|are|does)\s+(?!the\b|my\b|our\b|their\b|his\b|her\b|its\b)"
    r"|what'?s\s+(?!the\b|my\b|our\b)|define\b|definicion\b|explain\b|explica(?:me)?\b)"
)
# Advice and writing requests are not data questions (the engine's other paths take them).
_NOT_DATA = _re(
    r"\b(?:como\s+(?:puedo|podemos|podria|podriamos|mejoro|mejoramos|aumento|aumentamos|hago"
    r"|hacemos|consigo|conseguimos|mejorar|aumentar|subir|ganar)|how\s+(?:can|could|do|should"
    r"|to)\s+(?:i|we|you|one)?\s*(?:improve|increase|boost|grow|get|gain|raise|make|write|be)"
    r"|consejos?|tips|recomiendas|recomiendan|recommend|suggest|sugiere|sugieres|escribe"
    r"|escribeme|redacta|redactame|crea|creame|genera|generame|write|draft|compose|create)\b"
)
_SENTIMENTS = {
    "negative": _re(r"\b(?:negativ[oa]s?|negatives?)\b"),
    "positive": _re(r"\b(?:positiv[oa]s?|positives?)\b"),
    "neutral": _re(r"\b(?:neutr[oa]s|neutrales|neutral|neutra|neutro)\b"),
}
_EMOTIONS = {
    "joy": _re(r"\b(?:alegria|alegres?|felicidad|felices|feliz|joy|joyful|happy|happiness)\b"),
    "anger": _re(
        r"\b(?:ira|enfado|enfadad[oa]s?|enojo|enojad[oa]s?|rabia|furia|anger|angry|furious)\b"
    ),
    "fear": _re(r"\b(?:miedo|temor|fear|fearful|afraid|scared)\b"),
    "sadness": _re(r"\b(?:tristeza|tristes?|sadness|sad)\b"),
    "surprise": _re(r"\b(?:sorpresa|sorprendid[oa]s?|surprise|surprised)\b"),
    "disgust": _re(r"\b(?:asco|disgusto|repugnancia|disgust|disgusted)\b"),
    "trust": _re(r"\b(?:confianza|trust)\b"),
}
_PLATFORMS = (
    ("x", _re(r"\b(?:twitter|tuiter|tweets?|tuits?)\b|\bx\s*(?:/|\()\s*twitter\b")),
    ("x", _re(r"\b(?:en|on|in|de|of|from|por|at|via)\s+(?:la\s+red\s+)?x\b(?!\s*-)")),
    ("instagram", _re(r"\b(?:instagram|insta|ig)\b")),
    ("facebook", _re(r"\b(?:facebook|fb)\b")),
    ("tiktok", _re(r"\b(?:tiktok|tik\s+tok)\b")),
    ("linkedin", _re(r"\b(?:linkedin|linked\s+in)\b")),
    ("youtube", _re(r"\b(?:youtube|you\s+tube|yt)\b")),
)
_OWN = _re(
    r"\b(?:propi[oa]s?|own)\b|\b(?:nuestr[oa]s|our)\s+(?:publicaciones|posts|tuits|tweets)\b"
)
_PUBLISHED = _re(
    r"\b(?:publish|publishes|published|posted|tweeted|publico|publicaba|ha\s+publicado"
    r"|han\s+publicado|tuiteo)\b|\bdid\b.*\bpost\b"
)
_MENTIONS = _re(
    r"\b(?:menciones|mencion|mentions|de\s+terceros|by\s+others|de\s+otros|de\s+usuarios"
    r"|from\s+users)\b"
)

_TOPIC_QUOTED = _re(r"[\"“”«»]([^\"“”«»]{2,80})[\"“”«»]|(?:^|\s)'([^']{2,80})'(?=$|[\s?.,!;:])")
_TOPIC_INTRO = _re(
    r"\b(?:sobre|acerca\s+de|respecto\s+(?:a|al|de)|del\s+tema|con\s+el\s+tema|que\s+mencionan"
    r"|que\s+mencionen|que\s+hablan\s+de|que\s+hablen\s+de|about|regarding|on\s+the\s+topic\s+of"
    r"|mentioning|talking\s+about)\s+"
)
_TOPIC_STOP = _set(
    "tuvo tiene tienen tuvieron hubo hay habia ha han se en durante desde hasta entre este esta "
    "estos estas por para con recibio recibieron publico publicaron y o que cuantas cuantos "
    "did does do has have had was were is are in on during since from until this last for get "
    "got receive received publish published posted with by and or over across"
)
_LEADING = _set("el la los las lo un una unos unas the a an su sus its")
_TRAILING = _set("de del of the el la y and o or a al to")
_QUESTION_WORDS = _set("que what cual cuales which quien quienes who como how")

# Words that name too little to pick a client by them alone ("Banco", "Sport").
_GENERIC = _set(
    "banco bank sport sports group grupo company compania tienda store shop club cafe "
    "peru mexico chile colombia argentina espana brand marca the los las del and"
)

_HORIZON = _re(
    r"\b(?:en|dentro\s+de|in|within|after|over\s+the\s+next|the\s+next|next|en\s+los\s+proximos"
    r"|los\s+proximos|las\s+proximas|proximos|proximas|siguientes)\s+"
    rf"(?P<n>{NUMBER})\s+(?P<unit>dias|dia|days|day|semanas|semana|weeks|week|meses|mes|months"
    r"|month)\b"
)
_HORIZON_NAMED = (
    (_re(r"\b(?:manana|tomorrow)\b"), 1),
    (_re(r"\b(?:proxima\s+semana|semana\s+que\s+viene|next\s+week|in\s+a\s+week)\b"), 7),
    (_re(r"\b(?:proximo\s+mes|mes\s+que\s+viene|next\s+month|in\s+a\s+month)\b"), 30),
)
_END_OF_MONTH = _re(r"\b(?:fin\s+de\s+mes|fin\s+del\s+mes|end\s+of\s+(?:the\s+)?month)\b")
MAX_FORECAST_DAYS = 90
DEFAULT_FORECAST_DAYS = 30


# --------------------------------------------------------------------------- clients


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", fold(text))


def _name_pattern(name: str) -> re.Pattern[str] | None:
    words = _words(name)
    if not words:
        return None
    return re.compile(
        r"(?<![a-z0-9])" + r"[^a-z0-9]+".join(map(re.escape, words)) + r"(?![a-z0-9])"
    )


def find_client(folded: str, clients: Sequence[ClientRef]) -> tuple[ClientRef, int, int] | None:
    """The client a folded question names: its full name or an alias (the longest
    match), else a word of its name that no other client's name has ("Andino" for
    "Banco Andino"), never a generic one ("Banco")."""
    best: tuple[int, int, ClientRef, int, int] | None = None
    for client in clients:
        for name in (client.name, *client.aliases):
            pattern = _name_pattern(name)
            if pattern is None:
                continue
            for match in pattern.finditer(folded):
                key = (match.end() - match.start(), -match.start())
                if best is None or key > best[:2]:
                    best = (*key, client, match.start(), match.end())
    if best is not None:
        return best[2], best[3], best[4]
    owners: dict[str, set[uuid.UUID]] = {}
    for client in clients:
        for name in (client.name, *client.aliases):
            for word in _words(name):
                owners.setdefault(word, set()).add(client.id)
    by_id = {c.id: c for c in clients}
    for match in re.finditer(r"[a-z0-9]+", folded):
        word = match.group()
        ids = owners.get(word, set())
        if len(word) >= 4 and word not in _GENERIC and len(ids) == 1:
            return by_id[next(iter(ids))], match.start(), match.end()
    return None


# --------------------------------------------------------------------------- filters


def _blank(text: str, spans: Sequence[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _one(patterns: dict[str, re.Pattern[str]], text: str) -> str | None:
    """The one label whose pattern matches; None for none or several."""
    found = [label for label, pattern in patterns.items() if pattern.search(text)]
    return found[0] if len(found) == 1 else None


def _platform(text: str) -> tuple[str, int, int] | None:
    """The first platform named (a question filters on one)."""
    found = [
        (m.start(), platform, m.end())
        for platform, pattern in _PLATFORMS
        for m in [pattern.search(text)]
        if m is not None
    ]
    if not found:
        return None
    start, platform, end = min(found)
    return platform, start, end


def _topic(original: str, folded: str, boundaries: Sequence[tuple[int, int]]) -> str | None:
    """A quoted phrase, or the words after "sobre"/"about" up to the next part of the
    question (the client, the period, the platform, a verb or a preposition)."""
    quoted = _TOPIC_QUOTED.search(original)
    if quoted is not None:
        phrase = (quoted.group(1) or quoted.group(2) or "").strip()
        return phrase or None
    intro = _TOPIC_INTRO.search(folded)
    if intro is None:
        return None
    starts = [start for start, _ in boundaries if start >= intro.end()]
    limit = min(starts, default=len(folded))
    words: list[tuple[int, int, str]] = []
    for match in re.finditer(r"[^\s?!.,;:()]+", folded[intro.end() : limit]):
        word = match.group()
        if word in _TOPIC_STOP and words:
            break
        if word in _TOPIC_STOP:
            return None
        words.append((intro.end() + match.start(), intro.end() + match.end(), word))
        if len(words) == 6:
            break
    while words and words[0][2] in _LEADING:
        words.pop(0)
    while words and words[-1][2] in _TRAILING:
        words.pop()
    if not words or words[0][2] in _QUESTION_WORDS:
        return None
    return original[words[0][0] : words[-1][1]].strip() or None


# --------------------------------------------------------------------------- forecasts


def _horizon(text: str, today: date) -> int:
    """Days ahead a forecast question asks about (30 when it does not say)."""
    match = _HORIZON.search(text)
    if match is not None:
        n = number(match.group("n")) or 0
        unit = match.group("unit")
        per = (
            30
            if unit.startswith(("mes", "month"))
            else 7
            if unit.startswith(("sem", "week"))
            else 1
        )
        days = n * per
    elif _END_OF_MONTH.search(text):
        days = (month_end(today.year, today.month) - today).days or 1
    else:
        days = next((d for pattern, d in _HORIZON_NAMED if pattern.search(text)), 0)
        days = days or DEFAULT_FORECAST_DAYS
    return max(1, min(MAX_FORECAST_DAYS, days))


# --------------------------------------------------------------------------- parse


def _period_arguments(found: FoundPeriod | None) -> dict[str, Any]:
    if found is None:
        return {}
    period = found.period
    out: dict[str, Any] = {}
    if period.since is not None:
        out["since"] = period.since.isoformat()
    if period.until is not None:
        out["until"] = period.until.isoformat()
    return out


def _followers_arguments(period: Period | None) -> dict[str, Any]:
    """A period asks for the change over it: `since` its first day, `on` its last."""
    if period is None:
        return {}
    out: dict[str, Any] = {}
    if period.until is not None:
        out["on"] = period.until.isoformat()
    if period.since is not None and period.since != period.until:
        out["since"] = period.since.isoformat()
    return out


def parse(
    text: str,
    *,
    language: str,
    clients: Sequence[ClientRef],
    today: date,
    default_client: uuid.UUID | None = None,
) -> ToolCall | None:
    """The tool call that answers a data question, or None when `text` is not one.

    The client is found by name or alias (accents and case aside) among `clients`, else
    it is `default_client` (the conversation's), else left out (the tool decides). Dates
    are read on `today` (the tenant's local date); `language` only decides how a date
    like 03/04/2026 reads.
    """
    original = text[:2000]
    folded = fold(original)
    if not folded.strip():
        return None
    client = find_client(folded, clients)
    client_span = [(client[1], client[2])] if client else []
    rest = _blank(folded, client_span)
    found = find_period(rest, today=today, language=language)
    temporal = _TEMPORAL.search(rest) is not None
    if _DEFINITION.search(rest) and client is None and found is None:
        return None
    if _NOT_DATA.search(rest) and not temporal:
        return None

    arguments: dict[str, Any] = {}
    if client is not None:
        arguments["client_id"] = str(client[0].id)
    elif default_client is not None:
        arguments["client_id"] = str(default_client)
    platform = _platform(rest)
    if platform is not None:
        arguments["platform"] = platform[0]
    followers = _FOLLOWERS.search(rest) is not None

    if (followers and _FUTURE.search(rest)) or _FORECAST.search(rest):
        arguments["days"] = _horizon(rest, today)
        return ToolCall("forecast", arguments)
    if temporal:
        arguments.pop("platform", None)
        return ToolCall("latest_results", {**arguments, "questions": ["temporal"]})
    if followers:
        period = found.period if found else None
        return ToolCall("followers", {**arguments, **_followers_arguments(period)})

    own = _own(rest, client is not None)
    if _ENGAGEMENT.search(rest):
        if own is not None:
            arguments["own"] = own
        return ToolCall("engagement", {**arguments, **_period_arguments(found)})

    sentiment = _one(_SENTIMENTS, rest)
    emotion = _one(_EMOTIONS, rest)
    boundaries = [*client_span, *([(found.start, found.end)] if found else [])]
    if platform is not None:
        boundaries.append((platform[1], platform[2]))
    topic = _topic(original, folded, boundaries)
    counted = _COUNT.search(rest) is not None and (
        _POSTS.search(rest) is not None or bool(sentiment or emotion or topic)
    )
    exists = (
        _EXISTS.search(rest) is not None
        and _POSTS.search(rest) is not None
        and bool(sentiment or emotion or topic or found or platform)
    )
    if counted or exists:
        filters = {"sentiment": sentiment, "emotion": emotion, "topic": topic, "own": own}
        arguments.update({k: v for k, v in filters.items() if v is not None})
        return ToolCall("count_posts", {**arguments, **_period_arguments(found)})

    questions = [slug for slug, pattern in _RESULTS.items() if pattern.search(rest)]
    if questions or _ALL_RESULTS.search(rest):
        arguments.pop("platform", None)
        if questions:
            arguments["questions"] = questions
        return ToolCall("latest_results", arguments)
    return None


# "¿Y en septiembre?", "and on Instagram?", "what about Vértice Sport?": the previous
# question again with what this one changes.
_FOLLOW_UP = _re(
    r"^[\s.,;:!?]*(?:y|and|what\s+about|how\s+about|y\s+que\s+tal|que\s+tal|tambien|also)\b"
)
_FOLLOW_UP_CHARS = 80
_PERIODIC = frozenset({"count_posts", "engagement", "followers"})  # tools read over a period


def follow_up(
    text: str,
    previous: ToolCall,
    *,
    language: str,
    clients: Sequence[ClientRef],
    today: date,
) -> ToolCall | None:
    """The previous turn's tool call changed by a short follow-up that names only a
    client, a period or a platform ("¿Y en septiembre?", "and on Instagram?", "¿y Vértice
    Sport?"); None for anything else. A period replaces the previous one, a client the
    previous client, a platform the previous platform."""
    folded = fold(text[:2000])
    if len(folded.strip()) > _FOLLOW_UP_CHARS or _FOLLOW_UP.search(folded) is None:
        return None
    client = find_client(folded, clients)
    rest = _blank(folded, [(client[1], client[2])] if client else [])
    found = find_period(rest, today=today, language=language)
    platform = _platform(rest)
    if client is None and found is None and platform is None:
        return None
    arguments = dict(previous.arguments)
    if client is not None:
        arguments["client_id"] = str(client[0].id)
    if previous.name in _PERIODIC:
        if platform is not None:
            arguments["platform"] = platform[0]
        if found is not None:
            for key in ("since", "until", "on"):
                arguments.pop(key, None)
            period = (
                _followers_arguments(found.period)
                if previous.name == "followers"
                else _period_arguments(found)
            )
            arguments.update(period)
    elif client is None:
        return None  # a period or a platform means nothing to the latest results or a forecast
    return ToolCall(previous.name, arguments)


def _own(text: str, client_named: bool) -> bool | None:
    """True for the brand's own posts ("publicaciones propias", "did X publish"), False
    for mentions by others, None for both."""
    if _MENTIONS.search(text):
        return False
    if _OWN.search(text) or (client_named and _PUBLISHED.search(text)):
        return True
    return None


__all__ = [
    "ClientRef",
    "ToolCall",
    "find_client",
    "fold",
    "follow_up",
    "parse",
]
