"""Periods of data questions: local days in the tenant's time zone.

A question names a period in words ("en marzo", "last week", "del 1 al 15 de marzo",
"2026-03-01"); `find_period` reads it from folded text (lower case, no accents: see
`app.chat.intents.fold`) on a fixed `today`. Periods are inclusive local days; a tool
turns them into the [start, end) instants its queries filter on with `local_bounds`,
and names them back in the agent's language with `describe_period`.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MONTHS_ES = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)
MONTHS_EN = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
# Folded month name -> month number ("setiembre" is how Peru writes September).
MONTH_NUMBERS: dict[str, int] = {
    **{name: i + 1 for i, name in enumerate(MONTHS_ES)},
    **{name: i + 1 for i, name in enumerate(MONTHS_EN)},
    "setiembre": 9,
    "sept": 9,
}
# English month names that are also common words: read as months only beside a
# preposition, a day or a year ("in May", "May 5", "March 2025"), never alone.
_AMBIGUOUS_MONTHS = frozenset({"may", "march"})

# Small numbers written as words ("los últimos siete días", "in a week").
NUMBER_WORDS: dict[str, int] = {
    "un": 1,
    "una": 1,
    "uno": 1,
    "a": 1,
    "an": 1,
    "one": 1,
    "dos": 2,
    "two": 2,
    "tres": 3,
    "three": 3,
    "cuatro": 4,
    "four": 4,
    "cinco": 5,
    "five": 5,
    "seis": 6,
    "six": 6,
    "siete": 7,
    "seven": 7,
    "ocho": 8,
    "eight": 8,
    "nueve": 9,
    "nine": 9,
    "diez": 10,
    "ten": 10,
    "once": 11,
    "eleven": 11,
    "doce": 12,
    "twelve": 12,
    "catorce": 14,
    "fourteen": 14,
    "quince": 15,
    "fifteen": 15,
    "veinte": 20,
    "twenty": 20,
    "treinta": 30,
    "thirty": 30,
    "sesenta": 60,
    "sixty": 60,
    "noventa": 90,
    "ninety": 90,
}

_MONTH = "(?:" + "|".join(sorted(MONTH_NUMBERS, key=len, reverse=True)) + ")"
_ORD = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
NUMBER = r"(?:\d{1,3}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + ")"

# One calendar day, however it is written (each form's groups named apart).
_DAY_FORMS = (
    r"(?P<iso_y>\d{4})-(?P<iso_m>\d{1,2})-(?P<iso_d>\d{1,2})",
    rf"(?P<num_a>\d{{1,2}})/(?P<num_b>\d{{1,2}})/(?P<num_y>{_YEAR})",
    rf"(?P<es_d>\d{{1,2}})\s+de\s+(?P<es_m>{_MONTH})(?:\s+(?:de|del)\s+(?P<es_y>{_YEAR}))?",
    rf"(?P<en1_m>{_MONTH})\s+(?P<en1_d>\d{{1,2}}){_ORD}(?!\d)(?:,?\s+(?P<en1_y>{_YEAR}))?",
    rf"(?P<en2_d>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<en2_m>{_MONTH})(?:,?\s+(?P<en2_y>{_YEAR}))?",
)
_DAY = re.compile(r"\b(?:" + "|".join(_DAY_FORMS) + r")\b")

# On the text with each day replaced by a placeholder ("§0§", padded to the day's length).
_ATOM = r"(?:§\d+§|(?<!\d)\d{1,2}" + _ORD + r"(?!\d|\s*/))"
_CONNECTOR = (
    r"(?:\s*(?:-|–)\s*|\s+(?:al?|hasta(?:\s+el)?|to|until|till|through|thru|and|y(?:\s+el)?)\s+)"
)
_RANGE = re.compile(
    r"(?:\b(?:del?|entre(?:\s+el)?|from|between)\s+(?:the\s+)?)?"
    rf"(?P<a>{_ATOM}){_CONNECTOR}(?:(?:el|the)\s+)?(?P<b>{_ATOM})"
    rf"(?:,?\s+(?:de\s+|del\s+)?(?P<y>{_YEAR}))?"
)
_SINCE = re.compile(
    r"\b(?:desde(?:\s+el)?|since|starting(?:\s+on|\s+from)?|a\s+partir\s+del?)\s+(?P<a>§\d+§)"
)
_UNTIL = re.compile(r"\b(?:hasta(?:\s+el)?|until|till|up\s+to|through)\s+(?P<a>§\d+§)")
_BEFORE = re.compile(r"\b(?:antes\s+del?|before)\s+(?P<a>§\d+§)")
_PLACEHOLDER = re.compile(r"§(\d+)§")

# A unit of "the last N ...": (days, months) per unit.
_UNITS = {
    "dia": (1, 0),
    "dias": (1, 0),
    "day": (1, 0),
    "days": (1, 0),
    "semana": (7, 0),
    "semanas": (7, 0),
    "week": (7, 0),
    "weeks": (7, 0),
    "mes": (0, 1),
    "meses": (0, 1),
    "month": (0, 1),
    "months": (0, 1),
    "ano": (0, 12),
    "anos": (0, 12),
    "year": (0, 12),
    "years": (0, 12),
}
_UNIT = "(?:" + "|".join(sorted(_UNITS, key=len, reverse=True)) + ")"
_LAST_N = re.compile(
    r"\b(?:(?:en\s+)?(?:los|las)\s+)?(?:ultim[oa]s|last|past|previous|pasad[oa]s)\s+"
    rf"(?P<n>{NUMBER})\s+(?P<unit>{_UNIT})\b"
    rf"|\b(?P<n2>{NUMBER})\s+(?P<unit2>{_UNIT})\s+(?:ultim[oa]s|pasad[oa]s)\b"
)
# "la última semana", "the past month": the last one of that unit up to today (while "last
# week" and "el mes pasado" are the previous calendar week and month, below).
_LAST_ONE = re.compile(
    r"\b(?:(?:en\s+)?(?:el|la|the)\s+)?(?:ultim[oa]|past)\s+(?P<unit>semana|mes|ano|week|month|year)\b"
)
_NAMED = (
    ("day_before", r"\b(?:anteayer|antier|antes\s+de\s+ayer|the\s+day\s+before\s+yesterday)\b"),
    ("yesterday", r"\b(?:ayer|yesterday)\b"),
    ("today", r"\b(?:hoy|today|tonight)\b"),
    (
        "last_week",
        r"\b(?:(?:la\s+)?semana\s+pasada|last\s+week|the\s+previous\s+week)\b",
    ),
    ("this_week", r"\b(?:esta\s+semana|this\s+week|(?:en\s+)?lo\s+que\s+va\s+de\s+la\s+semana)\b"),
    (
        "last_month",
        r"\b(?:(?:el\s+)?mes\s+pasado|last\s+month|the\s+previous\s+month)\b",
    ),
    (
        "this_month",
        r"\b(?:este\s+mes|this\s+month|(?:en\s+)?lo\s+que\s+va\s+del\s+mes|month\s+to\s+date"
        r"|so\s+far\s+this\s+month)\b",
    ),
    ("last_year", r"\b(?:(?:el\s+)?ano\s+pasado|last\s+year|the\s+previous\s+year)\b"),
    (
        "this_year",
        r"\b(?:este\s+ano|this\s+year|(?:en\s+)?lo\s+que\s+va\s+del\s+ano|year\s+to\s+date|ytd"
        r"|so\s+far\s+this\s+year)\b",
    ),
)
_NAMED_RES = tuple((name, re.compile(pattern)) for name, pattern in _NAMED)
_DAYS_AGO = re.compile(rf"\bhace\s+(?P<n>{NUMBER})\s+dias?\b|\b(?P<n2>{NUMBER})\s+days?\s+ago\b")
WEEKDAYS = {
    **{name: i for i, name in enumerate(("lunes", "martes", "miercoles", "jueves", "viernes"))},
    "sabado": 5,
    "domingo": 6,
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
_WEEKDAY = re.compile(
    r"\b(?:(?P<last>last|past|previous)\s+)?(?:(?:el|este|on|this)\s+)?"
    r"(?P<d>" + "|".join(WEEKDAYS) + r")\b(?:\s+(?P<pasado>pasado))?"
)
_ORDINALS = {
    "primer": 1,
    "primero": 1,
    "first": 1,
    "segundo": 2,
    "second": 2,
    "tercer": 3,
    "tercero": 3,
    "third": 3,
    "cuarto": 4,
    "fourth": 4,
}
_QUARTER = re.compile(
    r"\b(?:q(?P<q>[1-4])|(?P<ord>" + "|".join(_ORDINALS) + r")\s+(?:trimestre|quarter))\b"
    rf"(?:,?\s+(?:de\s+|del\s+|of\s+)?(?P<y>{_YEAR})\b)?"
)
_QUARTER_NAMED = re.compile(
    r"\b(?P<this>este\s+trimestre|this\s+quarter)\b"
    r"|\b(?P<last>(?:el\s+)?trimestre\s+pasado|(?:el\s+)?ultimo\s+trimestre|last\s+quarter"
    r"|the\s+previous\s+quarter)\b"
)
_MONTH_ONLY = re.compile(
    r"(?:\b(?P<pre>en|de|del|durante|desde|hasta|in|during|for|of|since|until|throughout)"
    r"\s+(?:el\s+mes\s+de\s+|the\s+month\s+of\s+)?)?"
    rf"\b(?P<m>{_MONTH})\b(?:,?\s+(?:de\s+|del\s+|of\s+)?(?P<y>{_YEAR})\b)?"
)
_YEAR_ONLY = re.compile(
    r"\b(?P<pre>en|durante|del|desde|in|during|for|of|since)\s+(?:el\s+(?:ano\s+)?|the\s+year\s+)?"
    rf"(?P<y>{_YEAR})\b"
)


@dataclass(frozen=True)
class Period:
    """Inclusive local days; None is open on that side."""

    since: date | None
    until: date | None


@dataclass(frozen=True)
class FoundPeriod:
    period: Period
    start: int  # where it is written in the folded text
    end: int


def number(word: str) -> int | None:
    """'30' or 'treinta' -> 30."""
    return int(word) if word.isdigit() else NUMBER_WORDS.get(word)


def month_end(year: int, month: int) -> date:
    return date(year, month, monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), cut to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


# --------------------------------------------------------------------------- days


@dataclass(frozen=True)
class _Day:
    """A day as written: the year may be missing (then it is inferred)."""

    year: int | None
    month: int
    day: int


def _day_of(match: re.Match[str], language: str) -> _Day | None:
    g = match.groupdict()
    if g["iso_y"]:
        return _Day(int(g["iso_y"]), int(g["iso_m"]), int(g["iso_d"]))
    if g["num_a"]:
        a, b = int(g["num_a"]), int(g["num_b"])
        day, month = (b, a) if language == "en" else (a, b)
        return _Day(int(g["num_y"]), month, day)
    for form in ("es", "en1", "en2"):
        if g[f"{form}_m"]:
            year = g[f"{form}_y"]
            return _Day(
                int(year) if year else None, MONTH_NUMBERS[g[f"{form}_m"]], int(g[f"{form}_d"])
            )
    return None


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _resolve(day: _Day, today: date, year: int | None = None) -> date | None:
    """A day without a year is this year's, or last year's when that is still to come."""
    if day.year is not None:
        return _valid(day.year, day.month, day.day)
    if year is not None:
        return _valid(year, day.month, day.day)
    found = _valid(today.year, day.month, day.day)
    if found is not None and found > today:
        return _valid(today.year - 1, day.month, day.day)
    return found


def _range(first: _Day, last: _Day, today: date, year: int | None) -> Period | None:
    """Two written days: a year written on either side (or after both) serves both; with
    none, the range is the latest one that does not start after today."""
    last_year = last.year or first.year or year
    first_year = first.year
    if first_year is None and last_year is not None:
        first_year = (
            last_year if (first.month, first.day) <= (last.month, last.day) else last_year - 1
        )
    if first_year is None or last_year is None:
        end_year = today.year
        start_year = (
            end_year if (first.month, first.day) <= (last.month, last.day) else end_year - 1
        )
        since = _valid(start_year, first.month, first.day)
        if since is not None and since > today:
            start_year, end_year = start_year - 1, end_year - 1
        first_year, last_year = start_year, end_year
    since = _valid(first_year, first.month, first.day)
    until = _valid(last_year, last.month, last.day)
    if since is None or until is None or since > until:
        return None
    return Period(since, until)


def _explicit(text: str, today: date, language: str) -> FoundPeriod | None:
    """Days written out: a range, since/until a day, or one day."""
    days: list[_Day | None] = []
    spans: list[tuple[int, int]] = []
    reduced = list(text)
    for match in _DAY.finditer(text):
        label = f"§{len(days)}§"
        if len(label) > match.end() - match.start():
            continue
        days.append(_day_of(match, language))
        spans.append(match.span())
        reduced[match.start() : match.end()] = label.ljust(match.end() - match.start())
    if not days:
        return None
    flat = "".join(reduced)

    def end_of(match: re.Match[str]) -> int:
        """Where a match of the reduced text ends in the text (a day's placeholder is
        shorter than the day)."""
        end = match.end()
        for tag in _PLACEHOLDER.finditer(flat, match.start(), match.end()):
            end = max(end, spans[int(tag.group(1))][1])
        return end

    def atom(raw: str) -> _Day | int | None:
        tag = _PLACEHOLDER.fullmatch(raw)
        if tag:
            return days[int(tag.group(1))]
        return int(re.sub(r"\D", "", raw))

    for match in _RANGE.finditer(flat):
        a, b = atom(match.group("a")), atom(match.group("b"))
        year = int(match.group("y")) if match.group("y") else None
        if isinstance(a, _Day) and isinstance(b, _Day):
            first, last = a, b
        elif isinstance(a, int) and isinstance(b, _Day):
            first, last = _Day(b.year, b.month, a), b
        elif isinstance(a, _Day) and isinstance(b, int):
            first, last = a, _Day(a.year, a.month, b)
        else:
            continue
        period = _range(first, last, today, year)
        if period is not None:
            return FoundPeriod(period, match.start(), end_of(match))
    for pattern, side in ((_SINCE, "since"), (_UNTIL, "until"), (_BEFORE, "before")):
        hit = pattern.search(flat)
        if hit is None:
            continue
        written = atom(hit.group("a"))
        if not isinstance(written, _Day):
            continue
        day = _resolve(written, today)
        if day is None:
            continue
        if side == "since":
            return FoundPeriod(Period(day, max(day, today)), hit.start(), end_of(hit))
        until = day if side == "until" else day - timedelta(days=1)
        return FoundPeriod(Period(None, until), hit.start(), end_of(hit))
    for tag in _PLACEHOLDER.finditer(flat):
        one = days[int(tag.group(1))]
        day = _resolve(one, today) if one else None
        if day is not None:
            start, end = spans[int(tag.group(1))]
            return FoundPeriod(Period(day, day), start, end)
    return None


# --------------------------------------------------------------------------- relative


def _clip(since: date, until: date, today: date) -> Period:
    """A calendar period that has not ended yet runs to today."""
    return Period(since, min(until, today) if since <= today else until)


def _named(name: str, today: date) -> Period:
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    if name == "today":
        return Period(today, today)
    if name == "yesterday":
        day = today - timedelta(days=1)
        return Period(day, day)
    if name == "day_before":
        day = today - timedelta(days=2)
        return Period(day, day)
    if name == "last_week":
        return Period(monday - timedelta(days=7), monday - timedelta(days=1))
    if name == "this_week":
        return Period(monday, today)
    if name == "last_month":
        end = first - timedelta(days=1)
        return Period(end.replace(day=1), end)
    if name == "this_month":
        return Period(first, today)
    if name == "last_year":
        return Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))
    return Period(date(today.year, 1, 1), today)  # this_year


def _last(n: int, unit: str, today: date) -> Period:
    """The last `n` units up to today, today included: "the last 30 days" are today and
    the 29 before; "the last 3 months" start the day after the same day 3 months ago."""
    days, months = _UNITS[unit]
    if months:
        return Period(add_months(today, -n * months) + timedelta(days=1), today)
    return Period(today - timedelta(days=n * days - 1), today)


def _quarter(year: int, quarter: int, today: date) -> Period:
    start = date(year, 3 * quarter - 2, 1)
    return _clip(start, month_end(year, 3 * quarter), today)


def _quarters(text: str, today: date) -> FoundPeriod | None:
    """ "Q1 2026", "el primer trimestre", "this quarter", "el trimestre pasado"."""
    match = _QUARTER.search(text)
    if match is not None:
        quarter = int(match.group("q")) if match.group("q") else _ORDINALS[match.group("ord")]
        year = int(match.group("y")) if match.group("y") else today.year
        if not match.group("y") and date(year, 3 * quarter - 2, 1) > today:
            year -= 1
        return FoundPeriod(_quarter(year, quarter, today), match.start(), match.end())
    match = _QUARTER_NAMED.search(text)
    if match is not None:
        current = (today.month - 1) // 3 + 1
        year, quarter = today.year, current
        if match.group("last"):
            year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
        return FoundPeriod(_quarter(year, quarter, today), match.start(), match.end())
    return None


def _days(text: str, today: date) -> FoundPeriod | None:
    """One day named relative to today: "hace 3 días", "el lunes", "last Friday"."""
    match = _DAYS_AGO.search(text)
    if match is not None:
        n = number(match.group("n") or match.group("n2")) or 0
        if n <= 3660:
            day = today - timedelta(days=n)
            return FoundPeriod(Period(day, day), match.start(), match.end())
    match = _WEEKDAY.search(text)
    if match is not None:
        back = (today.weekday() - WEEKDAYS[match.group("d")]) % 7
        if back == 0 and (match.group("last") or match.group("pasado")):
            back = 7  # "last Monday" on a Monday is a week ago
        day = today - timedelta(days=back)
        return FoundPeriod(Period(day, day), match.start(), match.end())
    return None


def _relative(text: str, today: date) -> FoundPeriod | None:
    match = _LAST_N.search(text)
    if match is not None:
        n = number(match.group("n") or match.group("n2")) or 0
        if 1 <= n <= 3660:
            period = _last(n, match.group("unit") or match.group("unit2"), today)
            return FoundPeriod(period, match.start(), match.end())
    match = _LAST_ONE.search(text)
    if match is not None:
        return FoundPeriod(_last(1, match.group("unit"), today), match.start(), match.end())
    for name, pattern in _NAMED_RES:
        found = pattern.search(text)
        if found is not None:
            return FoundPeriod(_named(name, today), found.start(), found.end())
    return _quarters(text, today) or _days(text, today)


def _calendar(text: str, today: date) -> FoundPeriod | None:
    """A month ("en marzo", "March 2025") or a year ("en 2025")."""
    for match in _MONTH_ONLY.finditer(text):
        name, pre, year = match.group("m"), match.group("pre"), match.group("y")
        if name in _AMBIGUOUS_MONTHS and not (pre or year):
            continue
        if name == "sept" and not (pre or year):
            continue
        month = MONTH_NUMBERS[name]
        if year:
            start = date(int(year), month, 1)
        else:
            start = date(today.year, month, 1)
            if start > today:
                start = date(today.year - 1, month, 1)
        period = _clip(start, month_end(start.year, month), today)
        if pre in ("desde", "since"):
            period = Period(start, max(start, today))
        elif pre in ("hasta", "until"):
            period = Period(None, month_end(start.year, month))
        return FoundPeriod(period, match.start(), match.end())
    found = _YEAR_ONLY.search(text)
    if found is not None:
        year = int(found.group("y"))
        start = date(year, 1, 1)
        if found.group("pre") in ("desde", "since"):
            return FoundPeriod(Period(start, max(start, today)), found.start(), found.end())
        return FoundPeriod(_clip(start, date(year, 12, 31), today), found.start(), found.end())
    return None


def find_period(text: str, *, today: date, language: str = "es") -> FoundPeriod | None:
    """The period a folded question names, or None. Written days come first, then
    relative periods ("last 30 days", "la semana pasada"), then months and years.
    `language` decides how 03/04/2026 reads (es: 3 April; en: March 4)."""
    return _explicit(text, today, language) or _relative(text, today) or _calendar(text, today)


# --------------------------------------------------------------------------- instants


def local_bounds(
    since: date | None, until: date | None, zone: str
) -> tuple[datetime | None, datetime | None]:
    """Inclusive local days -> [start, end) instants in UTC: `since`'s midnight in `zone`,
    and the midnight after `until`."""
    local = ZoneInfo(zone)

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(), local).astimezone(UTC)

    start = midnight(since) if since is not None else None
    end = midnight(until + timedelta(days=1)) if until is not None else None
    return start, end


def local_day(instant: datetime, zone: str) -> date:
    return instant.astimezone(ZoneInfo(zone)).date()


# --------------------------------------------------------------------------- wording


def _es_day(day: date, *, year: bool = True) -> str:
    text = f"{day.day} de {MONTHS_ES[day.month - 1]}"
    return f"{text} de {day.year}" if year else text


def describe_period(since: date | None, until: date | None, language: str) -> str:
    """es: "del 1 al 31 de marzo de 2026"; en: "from 2026-03-01 to 2026-03-31"."""
    if language != "es":
        if since is None and until is None:
            return "over all time"
        if since is None:
            assert until is not None
            return f"until {until.isoformat()}"
        if until is None:
            return f"since {since.isoformat()}"
        if since == until:
            return f"on {since.isoformat()}"
        return f"from {since.isoformat()} to {until.isoformat()}"
    if since is None and until is None:
        return "en todo el historial"
    if since is None:
        assert until is not None
        return f"hasta el {_es_day(until)}"
    if until is None:
        return f"desde el {_es_day(since)}"
    if since == until:
        return f"el {_es_day(since)}"
    if since.year != until.year:
        return f"del {_es_day(since)} al {_es_day(until)}"
    if since.month != until.month:
        return f"del {_es_day(since, year=False)} al {_es_day(until)}"
    return f"del {since.day} al {_es_day(until)}"
