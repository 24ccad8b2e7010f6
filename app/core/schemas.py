"""Building blocks of request and response schemas shared by every domain.

The OpenAPI document is the contract (schemathesis checks it in CI, tests/test_fuzz.py):
what a schema accepts, the API accepts, and what it refuses, the API refuses. Pydantic's
lax mode reads more than JSON Schema allows (`false` as an integer, `0` as a boolean,
`"5"` as a number, a number as a time), so request bodies (`StrictModel`) take only the
JSON type each field's schema names, times are `UtcDatetime` (RFC 3339 text only), and the
rules the code enforces on text (no NUL, not blank, the time's grammar and range) are
written into the schema as patterns.

The rows of an imported document (a CSV's cells are text; a JSON row imports as the same
row in a CSV would) are validated with the context `TEXT_VALUES`: there `"5"` or `"true"`
is a number or a boolean, and `"a|b"` a list, as before. (The import's schema describes
the document, an array of objects; each row is checked on its own and reported.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin
from zoneinfo import available_timezones

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    GetCoreSchemaHandler,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

# Validation context of values that may be written as text (import rows): numbers,
# booleans and lists are then read from their text, as Pydantic's lax mode does.
TEXT_VALUES = "text_values"


def from_text(info: ValidationInfo) -> bool:
    """Whether the value being validated was read from text (see `TEXT_VALUES`)."""
    return bool(info.context and info.context.get(TEXT_VALUES))


# A count of something (likes, followers): never negative, and within a BIGINT.
Count = Annotated[int, Field(ge=0, le=10**13)]

# --- text --------------------------------------------------------------------------------
# PostgreSQL text cannot hold NUL: every string the API reads refuses it (bodies in
# StrictModel, query strings in app/core/nul_guard.py), and the OpenAPI document says so
# (app/core/openapi.py adds NO_NUL to strings that have no pattern of their own; the
# patterns below exclude NUL themselves).
NO_NUL = r"^[^\u0000]*$"
# The white space stripped from around text: Unicode's White_Space (what Pydantic's Rust
# `trim` strips; neither Python's `str.strip` nor JavaScript's `\s` set, so spelled out),
# as a pattern's character class and as the characters `_strip` removes.
WHITESPACE = r"\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_WHITESPACE_CHARS = (
    "\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# Text with something besides white space in it (and no NUL).
NOT_BLANK = rf"^[^\u0000]*[^\u0000{WHITESPACE}][^\u0000]*$"


def stripped(pattern: str) -> str:
    """The pattern of text that, once stripped of surrounding white space, matches
    `pattern` (unanchored here): the white space is allowed around it."""
    return rf"^[{WHITESPACE}]*(?:{pattern})[{WHITESPACE}]*$"


def _strip(value: str) -> str:
    return value.strip(_WHITESPACE_CHARS)


@dataclass(frozen=True, slots=True)
class Stripped:
    """Text checked as it is sent, then stripped of surrounding white space: its length
    and pattern are those of the text sent (as the schema states them; Pydantic's
    `strip_whitespace` would check them after stripping, taking 200 characters of spaces
    around a 100-character name)."""

    max_length: int | None = None
    pattern: str | None = None
    min_length: int | None = None

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> CoreSchema:
        text = core_schema.str_schema(
            min_length=self.min_length, max_length=self.max_length, pattern=self.pattern
        )
        return core_schema.no_info_after_validator_function(_strip, text)


def not_blank(max_length: int) -> Stripped:
    """Text with something besides white space in it, of at most `max_length` characters,
    stripped (`Annotated[str, not_blank(120)]`)."""
    return Stripped(max_length=max_length, pattern=NOT_BLANK, min_length=1)


Name = Annotated[str, not_blank(200)]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]
# An http(s) URL without white space (or NUL) in it.
HttpUrl = Annotated[
    str, Stripped(max_length=500, pattern=stripped(rf"https?://[^\u0000{WHITESPACE}]+"))
]
# A web page's address (a brand's site, a profile, a post): http(s), a host name (no user
# or IPv6 literal: no `@`, `[` or `]` before the path), then any path, query and fragment.
_TEXT = rf"[^\u0000{WHITESPACE}]"
WebUrl = Annotated[
    str,
    Stripped(
        max_length=500,
        pattern=stripped(rf"https?://[^\u0000{WHITESPACE}/?#@\[\]]+(?:[/?#]{_TEXT}*)?"),
    ),
]


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


# An email address as email-validator takes it (JSON Schema's `email` format), but not at
# a special-use domain (.test, .local, ...: email-validator refuses them as undeliverable).
EMAIL_PATTERN = rf"^(?!.*[.@](?:{'|'.join(map(_any_case, SPECIAL_USE_DOMAIN_NAMES))})$)"
Email = Annotated[
    EmailStr, WithJsonSchema({"type": "string", "format": "email", "pattern": EMAIL_PATTERN})
]


# An IANA time zone name ("America/Lima"), one of those this machine's tz database has
# ("localtime", whatever the machine's is, is not one); the schema lists them.
TIMEZONES = tuple(sorted(available_timezones() - {"localtime"}))
_ZONES = frozenset(TIMEZONES)


def _known_zone(name: str) -> str:
    if name not in _ZONES:
        raise PydanticCustomError(
            "timezone", "Unknown time zone; use an IANA name such as America/Lima"
        )
    return name


Timezone = Annotated[
    str, AfterValidator(_known_zone), WithJsonSchema({"type": "string", "enum": list(TIMEZONES)})
]


# --- times -------------------------------------------------------------------------------
# The first and last instants a time may be: one day inside Python's datetime range, so
# that any time accepted can be converted to UTC and then to any zone (offsets are under
# a day) without overflowing. `0001-01-01T00:00:00+14:00` is before the range.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)

# A time as the API reads it: RFC 3339 (JSON Schema's `date-time`) with seconds (leap
# seconds are not times Python knows) and a zone, written on a date from 0001-01-03 to
# 9999-12-29, so that in UTC, whatever its offset (under a day), it lies within
# [EARLIEST, LATEST]. The same pattern is the OpenAPI schema's and the check's.
DATE_TIME_PATTERN = (
    "^(?!0000-|0001-01-0[12]|9999-12-3[01])"
    "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-5][0-9](?:[.][0-9]+)?"
    "(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_DATE_TIME = re.compile(DATE_TIME_PATTERN)


def _rfc3339(value: Any) -> Any:
    if isinstance(value, datetime):  # built in Python, not read from a request
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("datetime_type", "Input should be an RFC 3339 date-time string")
    if _DATE_TIME.match(value) is None:
        raise PydanticCustomError(
            "datetime_format",
            "Time should be RFC 3339 with seconds and a zone (2026-03-14T19:30:00Z or "
            "+01:00), on a date from 0001-01-03 to 9999-12-29",
        )
    return value


def _to_utc(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # before 0001-01-01 or after 9999-12-31 once in UTC
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise PydanticCustomError(
            "datetime_out_of_range",
            "Time should be between 0001-01-02T00:00:00Z and 9999-12-30T23:59:59Z",
        )
    return utc


# Every time the API reads (body fields, query filters, import rows) is this type: an RFC
# 3339 string (not a number: Pydantic alone reads `0.5` as a Unix time) that carries a
# zone, on a date in the range above, normalised to UTC (as stored and returned), so a
# value at the edges is a 422 naming its field, never a 500.
UtcDatetime = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339),
    AfterValidator(_to_utc),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": DATE_TIME_PATTERN}),
]


# A day (`2026-03-14`) or a time (`UtcDatetime`): windows of analyses take either. A day
# has no zone: the caller reads it in the tenant's (a window's `since` is the start of that
# day, its `until` the end of it). Its dates run from 0001-01-03 to 9999-12-29, like the
# times', so the day's start and end exist in UTC and in any zone.
DATE_PATTERN = "^(?!0000-|0001-01-0[12]|9999-12-3[01])[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATE = re.compile(DATE_PATTERN)


def _date_or_time(value: Any, handler: core_schema.ValidatorFunctionWrapHandler) -> Any:
    if isinstance(value, str) and _DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError(
                "date_value", "Date should be a day of the calendar, YYYY-MM-DD"
            ) from None
    return handler(value)


def _date_or_time_text(value: date) -> str:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat()


@dataclass(frozen=True, slots=True)
class _DayOrTime:
    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_wrap_validator_function(
            _date_or_time,
            handler.generate_schema(UtcDatetime),
            serialization=core_schema.plain_serializer_function_ser_schema(
                _date_or_time_text, when_used="json"
            ),
        )


# A `date`, or a `datetime` (a date's subclass) in UTC: tell them by `type(v) is date`.
DateOrDatetime = Annotated[
    date,
    _DayOrTime(),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date", "pattern": DATE_PATTERN},
                {"type": "string", "format": "date-time", "pattern": DATE_TIME_PATTERN},
            ]
        }
    ),
]


def is_day(value: date | None) -> bool:
    """A plain day (`2026-03-14`), not a time."""
    return type(value) is date


def _reject_nul(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL (\\u0000) characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _reject_nul(key)
            _reject_nul(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _reject_nul(item)


def _json_scalar(annotation: Any) -> type | None:
    """int, float or bool if a field is one of them (or it or None), else None."""
    if get_origin(annotation) in (Union, UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        annotation = members[0] if len(members) == 1 else None
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation if annotation in (int, float, bool) else None


# Each StrictModel's fields typed int, float or bool, by name (filled on first use).
_SCALARS: dict[type, dict[str, type]] = {}
_SCALAR_ERRORS = {
    int: ("int_type", "Input should be a valid integer"),
    float: ("float_type", "Input should be a valid number"),
    bool: ("bool_type", "Input should be a valid boolean"),
}


class StrictModel(BaseModel):
    """Request bodies reject unknown fields (so a stray `tenant_id` is an error) and NUL
    characters, which PostgreSQL text cannot store; and a field typed int, float or bool
    takes only that JSON type: not `false` or `"5"` for an integer, not `1` for a boolean
    (JSON Schema counts 5.0 as an integer: so does this). Under `TEXT_VALUES` (import
    rows) they are read from text as Pydantic does."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        _reject_nul(data)
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _json_type(cls, value: Any, info: ValidationInfo) -> Any:
        scalars = _SCALARS.get(cls)
        if scalars is None:
            fields = cls.model_fields.items()
            scalars = {name: t for name, f in fields if (t := _json_scalar(f.annotation))}
            _SCALARS[cls] = scalars
        expected = scalars.get(info.field_name or "")
        if expected is None or value is None or from_text(info):
            return value
        if expected is bool:
            valid = isinstance(value, bool)
        else:
            valid = isinstance(value, int | float) and not isinstance(value, bool)
        if not valid:
            raise PydanticCustomError(*_SCALAR_ERRORS[expected])
        return value
