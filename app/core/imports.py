"""Bulk imports: the engine the posts and metrics imports share.

A document (a JSON array or a CSV, read in batches by `app/core/bulk.py`) becomes rows of
one table. Its columns are read first (a CSV's header, a JSON array's first object): each
name is a column of the kind or one of its aliases (`ALIASES`, the one table of them,
shown in the import's OpenAPI description and the README); missing required columns and
unknown ones are reported once, before any row, with the columns expected, never as one
error per row. Then each row is validated by its kind's row model (under `TEXT_VALUES`, a
CSV's cells being text; times by `TimeReader`: without a zone, in the tenant's), turned
into column values by the caller's `to_values` (which may reject it with `RowRejected`),
checked against the rows before it for a repeated natural key, and upserted in batches
(`BulkWriter`, in the request's transaction), changing only the columns the row gives (a
column left out, or a CSV cell left empty, keeps its stored value; a new row takes the
default). Atomic mode: any bad row rejects the whole document with a 422 listing the
rows, and nothing is written (the request rolls back). Partial mode: the valid rows are
written and the others reported. Both report a row's problem in one shape (`RowError`).
Never silently partial.

Each domain defines its `ImportKind` and its `to_values`. Rows of every import name a
client's social account the same way, by `account_id` or by `platform` +
`account_handle`, or take the query's `account_id`; `AccountLookup` resolves them from
the accounts the caller read.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import BackgroundTasks, Depends, Query
from pydantic import (
    BaseModel,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from app.core.bulk import MalformedDocument, RowSource, import_request_body
from app.core.enums import Platform
from app.core.errors import AppError, PayloadTooLarge, UnprocessableEntity
from app.core.memory import release_memory
from app.core.repository import BulkWriter
from app.core.schemas import EARLIEST, LATEST, TEXT_VALUES, Timezone

MAX_REPORTED_ERRORS = 1000
WRITE_BATCH = 5000
LARGE_IMPORT_ROWS = 10_000  # after an import this large, give freed memory back
ACCOUNT = "account"  # a missing account, in header problems

# --------------------------------------------------------------------------- aliases

# Every other name an import reads for a platform and for a column: the one table of
# aliases (the OpenAPI description of each import and the README list it). Names of
# columns are compared folded: case, accents, spaces and punctuation aside
# (`screen_Name`, `Fecha`, `Retweet Count` all match). Singular names that mean
# something else in exports (`hashtag` "NONE", `mention` 0/1, `comment` as a count or a
# text) are not aliases: such a column is unknown, reported or ignored.
PLATFORM_ALIASES: dict[str, Platform] = {
    "twitter": Platform.x,
    "ig": Platform.instagram,
    "insta": Platform.instagram,
    "fb": Platform.facebook,
    "yt": Platform.youtube,
    "tt": Platform.tiktok,
    "li": Platform.linkedin,
}
_ACCOUNT_ALIASES: dict[str, tuple[str, ...]] = {
    "platform": ("network", "social_network", "red_social", "red", "plataforma"),
    "account_handle": ("account", "account_name", "cuenta"),
}
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "posts": {
        **_ACCOUNT_ALIASES,
        "external_id": ("id", "tweet_id", "post_id", "status_id", "id_str"),
        "author_handle": (
            "user",
            "username",
            "user_name",
            "screen_name",
            "author",
            "autor",
            "usuario",
        ),
        "author_followers": ("followers", "user_followers", "followers_count", "seguidores"),
        "text": ("tweet", "content", "texto", "full_text", "caption", "message", "mensaje", "body"),
        "published_at": (
            "created_at",
            "date",
            "datetime",
            "timestamp",
            "time",
            "posted_at",
            "fecha",
            "fecha_publicacion",
        ),
        "likes": (
            "favorites",
            "favourites",
            "favorite_count",
            "favourite_count",
            "likes_count",
            "like_count",
            "me_gusta",
        ),
        "comments": (
            "replies",
            "reply_count",
            "replies_count",
            "comment_count",
            "comments_count",
            "comentarios",
            "respuestas",
        ),
        "shares": (
            "retweets",
            "retweet_count",
            "rts",
            "rt_count",
            "share_count",
            "shares_count",
            "compartidos",
        ),
        "views": ("impressions", "impression_count", "view_count", "views_count", "vistas"),
        "reach": ("alcance",),
        "content_type": ("type", "media_type", "tipo"),
        "url": ("link", "permalink", "enlace"),
        "language": ("lang", "idioma"),
        "is_own": ("own", "propio"),
        "is_retweet": ("retweet", "is_rt", "rt", "es_retweet"),
    },
    "metrics": {
        **_ACCOUNT_ALIASES,
        "captured_at": ("date", "day", "datetime", "timestamp", "created_at", "fecha"),
        "followers": ("followers_count", "seguidores"),
        "following": ("friends", "friends_count", "following_count", "seguidos"),
        "posts_total": (
            "posts",
            "posts_count",
            "statuses_count",
            "tweets",
            "media_count",
            "publicaciones",
        ),
        "engagement_rate": ("engagement", "er"),
        "reach": ("alcance",),
        "impressions": ("impresiones",),
    },
}


def fold(name: str) -> str:
    """A column's name as aliases compare it: lower case, no accents, words joined by _."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^0-9a-z]+", "_", plain.lower()).strip("_")


def _platform(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str):
        if info.context and info.context.get(_CSV):
            value = value.strip().lower()  # a spreadsheet's "Twitter"
        if value in PLATFORM_ALIASES:
            return PLATFORM_ALIASES[value]
        if value in Platform.__members__.values():
            return Platform(value)
    raise PydanticCustomError(
        "enum",
        "Input should be a platform: {names}",
        {"names": ", ".join([*Platform, *PLATFORM_ALIASES])},
    )


# A platform in an import row: its name or an alias (`twitter`); in a CSV, any case.
ImportPlatform = Annotated[
    Platform,
    PlainValidator(_platform),
    WithJsonSchema({"type": "string", "enum": [*Platform, *PLATFORM_ALIASES]}),
]

# --------------------------------------------------------------------------- times


class TimeFormat(StrEnum):
    iso = "iso"
    mdy = "mdy"
    dmy = "dmy"
    unix = "unix"


_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_TIMES = "import_times"
_CSV = "import_csv"
_FORMATS = {
    TimeFormat.iso: "RFC 3339 or ISO 8601 (2026-03-14T19:30:00Z, 2026-03-14 19:30:00, 2026-03-14)",
    TimeFormat.mdy: "month/day/year (3/14/26 19:30)",
    TimeFormat.dmy: "day/month/year (14/03/2026 19:30)",
    TimeFormat.unix: "seconds since 1970-01-01 UTC (1773516600)",
}


@dataclass
class TimeReader:
    """Reads the times of one import in its format; a time without a zone is in `zone`
    (the tenant's, or the query's `timezone`), and counted for the answer's notes."""

    zone: str = "UTC"
    format: TimeFormat = TimeFormat.iso
    naive: int = 0

    def read(self, text: str) -> datetime:
        value = text.strip()
        try:
            parsed = self._parse(value)
        except (ValueError, OverflowError):
            parsed = None
        if parsed is None:
            raise PydanticCustomError(
                "datetime_format",
                "Time should be {expected}",
                {"expected": _FORMATS[self.format]},
            )
        if parsed.tzinfo is None:
            self.naive += 1
            parsed = parsed.replace(tzinfo=ZoneInfo(self.zone))
        try:
            utc = parsed.astimezone(UTC)
        except OverflowError:
            utc = None
        if utc is None or not EARLIEST <= utc <= LATEST:
            raise PydanticCustomError(
                "datetime_out_of_range",
                "Time should be between 0001-01-02T00:00:00Z and 9999-12-30T23:59:59Z",
            )
        return utc

    def _parse(self, value: str) -> datetime | None:
        if self.format == TimeFormat.unix:
            if not _NUMBER.match(value) or not math.isfinite(float(value)):
                return None
            return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=float(value))
        if self.format == TimeFormat.iso:
            if len(value) < 10 or not value[:4].isdigit():
                return None
            return datetime.fromisoformat(value)
        match = _SLASHED.match(value)
        if match is None:
            return None
        a, b, year, hour, minute, second = match.groups()
        month, day = (a, b) if self.format == TimeFormat.mdy else (b, a)
        full_year = int(year) if len(year) == 4 else (2000 if int(year) < 69 else 1900) + int(year)
        return datetime(
            full_year, int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )

    def note(self) -> str | None:
        if not self.naive:
            return None
        times = "time" if self.naive == 1 else "times"
        return f"{self.naive} {times} had no zone; read in {self.zone}"


def _import_time(value: Any, info: ValidationInfo) -> datetime:
    if isinstance(value, datetime):  # built in Python, not read from a document
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("datetime_type", "Input should be a time written as text")
    reader = info.context.get(_TIMES) if info.context else None
    return (reader if isinstance(reader, TimeReader) else TimeReader()).read(value)


# A time in an import row: text in the import's `time_format`; without a zone, in the
# tenant's time zone (or the query's `timezone`), and the answer's notes say how many.
ImportTime = Annotated[
    datetime,
    PlainValidator(_import_time),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "description": "A time as `time_format` says (by default RFC 3339 or ISO 8601: "
            "`2026-03-14T19:30:00Z`, `2026-03-14 19:30:00`, `2026-03-14`); without a zone, "
            "in the tenant's time zone or the query's `timezone`",
        }
    ),
]

# --------------------------------------------------------------------------- options


class ImportMode(StrEnum):
    atomic = "atomic"
    partial = "partial"


class UnknownColumns(StrEnum):
    reject = "reject"
    ignore = "ignore"


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """An import's query: its mode and how to read the document."""

    mode: ImportMode = ImportMode.atomic
    account_id: uuid.UUID | None = None
    unknown_columns: UnknownColumns = UnknownColumns.reject
    timezone: str | None = None
    time_format: TimeFormat = TimeFormat.iso


def import_options(
    mode: Annotated[
        ImportMode,
        Query(
            description="atomic: any bad row rejects the whole document (nothing written); "
            "partial: valid rows are written and bad rows reported"
        ),
    ] = ImportMode.atomic,
    account_id: Annotated[
        uuid.UUID | None,
        Query(
            description="The account of the rows that name none (no `account_id`, "
            "`platform` + `account_handle` columns, or empty cells): one of the client's"
        ),
    ] = None,
    unknown_columns: Annotated[
        UnknownColumns,
        Query(
            description="reject: a column that is neither the kind's nor an alias is "
            "reported (422, with the columns expected); ignore: such columns are skipped, "
            "and the answer's notes name them"
        ),
    ] = UnknownColumns.reject,
    timezone: Annotated[
        Timezone | None,
        Query(
            description="The zone of the document's times that have none; default: the "
            "tenant's time zone"
        ),
    ] = None,
    time_format: Annotated[
        TimeFormat,
        Query(
            description="How times are written: iso (RFC 3339 or ISO 8601, `2026-03-14 "
            "19:30:00`, default), mdy (`3/14/26 19:30`), dmy (`14/03/2026 19:30`), unix "
            "(seconds since 1970, UTC)"
        ),
    ] = TimeFormat.iso,
) -> ImportOptions:
    return ImportOptions(mode, account_id, unknown_columns, timezone, time_format)


ImportOptionsDep = Annotated[ImportOptions, Depends(import_options)]

# --------------------------------------------------------------------------- results


class RowError(BaseModel):
    """A problem of one row, or of the columns (`row` null): the same shape in a partial
    import's answer and in an atomic import's 422 (`errors`)."""

    row: int | None = Field(
        description="1-based row number in the document (CSV: data rows); null: the columns"
    )
    field: str | None = Field(description="The column (as the kind names it), if one")
    loc: list[str | int] = Field(description="['body', row, column] or ['body', 'columns', name]")
    msg: str
    type: str = Field(examples=["int_parsing", "duplicate_key", "unknown_column"])


class ImportResult(BaseModel):
    received: int = Field(description="Rows read from the document")
    inserted: int
    updated: int
    failed: int = Field(description="Rows rejected (not written)")
    mode: str
    errors: list[RowError] = Field(description="Up to 1,000 row errors")
    errors_truncated: bool = False
    notes: list[str] = Field(
        default_factory=list,
        description="How the document was read: times without a zone and the zone they "
        "were read in, columns ignored, rows given the query's account",
    )

    def counts(self) -> dict[str, Any]:
        """What the audit log keeps of an import."""
        return {
            "received": self.received,
            "inserted": self.inserted,
            "updated": self.updated,
            "failed": self.failed,
            "mode": self.mode,
        }


def _row_error(row: int | None, field_name: str | None, msg: str, type_: str) -> RowError:
    where: list[str | int] = ["body", row] if row is not None else ["body", "columns"]
    return RowError(
        row=row,
        field=field_name,
        loc=[*where, *([field_name] if field_name else [])],
        msg=msg,
        type=type_,
    )


# --------------------------------------------------------------------------- kinds


@dataclass(frozen=True, slots=True)
class ImportKind:
    """What a domain imports: its name (in the audit log, `ALIASES` and paths), the model
    one row of the document must validate as, the natural key the rows are upserted on (a
    second row with the same key in one document is an error), the columns that must be
    there (each a tuple of which one will do; the account is checked apart), and the
    template's example row."""

    name: str
    row_model: type[BaseModel]
    key: tuple[str, ...]
    required: tuple[tuple[str, ...], ...] = ()
    example: Mapping[str, str] = field(default_factory=dict)

    @property
    def aliases(self) -> dict[str, tuple[str, ...]]:
        return ALIASES.get(self.name, {})

    @property
    def columns(self) -> list[str]:
        """The columns of a row, account first (`account_id` last: the template names
        the account by platform and handle)."""
        names = [n for n in self.row_model.model_fields if n not in _ACCOUNT_FIELDS]
        return ["platform", "account_handle", *names, "account_id"]

    def lookup(self) -> dict[str, str]:
        """Folded name -> column, for every column and alias."""
        found = {fold(c): c for c in self.columns}
        for column, others in self.aliases.items():
            found.update({fold(o): column for o in others})
        return found

    def spelled(self, column: str) -> str:
        others = self.aliases.get(column, ())
        return f"{column} (or {', '.join(others)})" if others else column


_ACCOUNT_FIELDS = ("account_id", "platform", "account_handle")


def row_schema(kind: ImportKind) -> dict[str, Any]:
    """The JSON Schema of one row of `kind` as the import reads it: the row model's
    properties, each also as text where its JSON type is not text (a CSV's cells are, and
    a JSON row may write them so: `"5"`, `"true"`, `"a|b"`). No property is required in
    the schema, nor are others forbidden, since an alias names a column as well as its own
    name: the columns' check says what is missing or unknown (see the description)."""
    schema = kind.row_model.model_json_schema(mode="validation")
    defs = schema.pop("$defs", {})
    props: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        prop = _inline(prop, defs)
        prop.pop("title", None)
        props[name] = _or_text(prop)
    return {"type": "object", "properties": props}


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            target = dict(defs[ref.rsplit("/", 1)[-1]])
            target.pop("title", None)
            return _inline({**target, **{k: v for k, v in node.items() if k != "$ref"}}, defs)
        return {k: _inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


_META = ("default", "description", "examples")


def _or_text(prop: dict[str, Any]) -> dict[str, Any]:
    members = prop.get("anyOf", [prop])
    if all(m.get("type") in ("string", "null") for m in members):
        return prop
    meta = {k: prop[k] for k in _META if k in prop}
    bare = [{k: v for k, v in m.items() if k not in _META} for m in members]
    return {"anyOf": [*bare, {"type": "string"}], **meta}


def _json_types(prop: dict[str, Any]) -> frozenset[str]:
    return frozenset(str(m.get("type")) for m in prop.get("anyOf", [prop]) if "type" in m)


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def template_csv(kind: ImportKind, account: tuple[str, str] | None) -> str:
    """The kind's CSV template: its columns and one example row (on `account`, the
    client's (platform, handle), when it has one)."""
    columns = [c for c in kind.columns if c != "account_id"]
    platform, handle = account or ("x", "your_account")
    example = {**kind.example, "platform": platform, "account_handle": handle}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerow([example.get(c, "") for c in columns])
    return buf.getvalue()


def import_openapi(kind: ImportKind) -> dict[str, Any]:
    """The import operation's request body: the row schema, and the columns and aliases."""
    lines = [f"- `{kind.spelled(c)}`" for c in kind.columns]
    required = ", ".join(" or ".join(f"`{c}`" for c in group) for group in kind.required)
    columns = (
        f"Columns of a {kind.name} row, with the other names read for them (compared "
        "regardless of case, accents, spaces and punctuation):\n" + "\n".join(lines) + "\n\n"
        f"Required: {required}, and the account (`account_id`, or `platform` + "
        "`account_handle`, or the query's `account_id`). Platforms may be written "
        f"{', '.join(f'`{a}` ({p.value})' for a, p in PLATFORM_ALIASES.items())}. A column "
        "left out, or a CSV cell left empty, keeps the stored value on a re-import (a new "
        "row takes the default). Missing and unknown columns are one 422 before any row; "
        "`unknown_columns=ignore` skips the unknown ones. "
        f"`GET .../{kind.name}/import/template` gives a CSV to start from."
    )
    return import_request_body(row_schema(kind), columns)


# --------------------------------------------------------------------------- columns


@dataclass
class _Columns:
    """The document's columns resolved to the kind's: names from the first row, checked
    once (missing, unknown, two names for one column); later JSON rows may add keys."""

    kind: ImportKind
    lookup: dict[str, str]
    ignore: bool
    resolved: dict[str, str | None] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def column(self, name: str) -> str | None:
        if name not in self.resolved:
            self.resolved[name] = self.lookup.get(fold(name))
        return self.resolved[name]

    def check(self, names: Iterable[str], default_account: bool) -> None:
        problems: list[RowError] = []
        seen: dict[str, str] = {}
        unknown: list[str] = []
        for name in names:
            column = self.column(name)
            if column is None:
                unknown.append(name)
            elif column in seen:
                problems.append(
                    _row_error(
                        None,
                        column,
                        f"Columns {seen[column]!r} and {name!r} both mean {column}",
                        "duplicate_column",
                    )
                )
            else:
                seen[column] = name
        missing = [group[0] for group in self.kind.required if not any(c in seen for c in group)]
        has_account = "account_id" in seen or {"platform", "account_handle"} <= set(seen)
        if not (has_account or default_account):
            missing.append(ACCOUNT)
        if self.ignore:
            self.ignored = unknown
        else:
            problems += [
                _row_error(None, name, f"Unknown column {name!r}", "unknown_column")
                for name in unknown
            ]
        problems += [
            _row_error(None, name, f"Missing column: {self._needed(name)}", "missing_column")
            for name in missing
        ]
        if problems:
            raise self._failure(problems, missing, [] if self.ignore else unknown)

    def _needed(self, name: str) -> str:
        if name == ACCOUNT:
            return (
                "the account: account_id, or platform and account_handle, or the query "
                "parameter account_id"
            )
        group = next((g for g in self.kind.required if g[0] == name), (name,))
        return " or ".join(self.kind.spelled(c) for c in group)

    def _failure(
        self, problems: list[RowError], missing: list[str], unknown: list[str]
    ) -> AppError:
        parts = []
        if missing:
            parts.append("missing " + "; ".join(self._needed(m) for m in missing))
        if unknown:
            parts.append("unknown " + ", ".join(unknown))
        if any(p.type == "duplicate_column" for p in problems):
            parts.append("; ".join(p.msg for p in problems if p.type == "duplicate_column"))
        expected = ", ".join(c for c in self.kind.columns)
        return UnprocessableEntity(
            f"The columns do not fit a {self.kind.name} import ({'; '.join(parts)}); no row "
            f"was read. Expected columns: {expected} (their other names are in the "
            "operation's description). "
            + ("Send unknown_columns=ignore to skip unknown columns, or s" if unknown else "S")
            + f"tart from the template: GET .../{self.kind.name}/import/template.",
            errors=[p.model_dump() for p in problems],
        )


class RowRejected(Exception):
    """One row cannot be imported: `to_values` raises it with the message and the field."""

    def __init__(
        self, message: str, field_name: str | None = None, type_: str = "value_error"
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field_name = field_name
        self.type = type_


@dataclass(frozen=True, slots=True)
class AccountLookup:
    """A client's social accounts, for rows that name theirs by `account_id` or by
    `platform` + `account_handle` (handles compare case-insensitively), or take the
    import's default account (the query's `account_id`)."""

    platform_of: dict[uuid.UUID, str]
    handle_of: dict[uuid.UUID, str]
    by_handle: dict[tuple[str, str], uuid.UUID]
    default: uuid.UUID | None = None

    @classmethod
    def of(
        cls, accounts: Iterable[tuple[uuid.UUID, str, str]], default: uuid.UUID | None = None
    ) -> AccountLookup:
        """From (id, platform, handle) of each of the client's accounts; 422 when the
        default account is not one of them."""
        listed = list(accounts)
        lookup = cls(
            platform_of={id_: platform for id_, platform, _ in listed},
            handle_of={id_: handle for id_, _, handle in listed},
            by_handle={(platform, handle.lower()): id_ for id_, platform, handle in listed},
            default=default,
        )
        if default is not None and default not in lookup.platform_of:
            raise UnprocessableEntity(
                "account_id is not one of this client's accounts",
                errors=[
                    {
                        "loc": ["query", "account_id"],
                        "msg": "Unknown account",
                        "type": "value_error",
                    }
                ],
            )
        return lookup

    def resolve(
        self, account_id: uuid.UUID | None, platform: str | None, handle: str | None
    ) -> tuple[uuid.UUID, str]:
        """(account id, its platform); `RowRejected` when the client has no such account."""
        if account_id is not None:
            if account_id not in self.platform_of:
                raise RowRejected(
                    "account_id is not one of this client's accounts",
                    "account_id",
                    "unknown_account",
                )
        elif handle is not None and platform is not None:
            account_id = self.by_handle.get((str(platform), str(handle).lower()))
            if account_id is None:
                raise RowRejected(
                    f"No {platform} account @{handle} for this client",
                    "account_handle",
                    "unknown_account",
                )
        elif self.default is not None and platform in (None, self.platform_of[self.default]):
            account_id = self.default
        elif self.default is not None:
            raise RowRejected(
                f"The row's platform is {platform}, the query's account is on "
                f"{self.platform_of[self.default]}",
                "platform",
                "unknown_account",
            )
        else:
            raise RowRejected(
                "give account_id, or platform and account_handle (or the query's account_id)",
                "account_id" if platform is None else "account_handle",
                "missing",
            )
        return account_id, self.platform_of[account_id]


@dataclass
class _Progress:
    received: int = 0
    inserted: int = 0
    updated: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)

    def fail(self, row: int, message: str, field_name: str | None, type_: str) -> None:
        self.failed += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(_row_error(row, field_name, message, type_))


async def import_rows(
    kind: ImportKind,
    source: RowSource,
    to_values: Callable[[Any], dict[str, Any]],
    writer: BulkWriter,
    *,
    options: ImportOptions,
    timezone: str,
    max_rows: int,
) -> ImportResult:
    """Import the document's rows (see the module's docstring). `to_values` turns a valid
    row (an instance of `kind.row_model`) into the values of every column it sets, or
    raises `RowRejected`; on an existing row only the columns the row gave are changed.
    `timezone`: the tenant's, for times without a zone (unless the query names one). The
    source is closed at the end."""
    mode = options.mode
    seen: dict[tuple[Any, ...], int] = {}
    progress = _Progress()
    # Rows to write, by the columns they change on an existing row.
    pending: dict[frozenset[str], list[dict[str, Any]]] = {}
    waiting = 0
    times = TimeReader(zone=options.timezone or timezone, format=options.time_format)
    # A row is read as it is written in a document: a CSV's cells are text, and a JSON row
    # may write them so too (`"5"`, `"true"`, `"a|b"`), as the same rows in either format
    # import alike (app/core/schemas.py, TEXT_VALUES). Times: `TimeReader`.
    context = {TEXT_VALUES: True, _TIMES: times, _CSV: source.kind == "csv"}
    reader = _RowReader(kind, source.kind == "csv", options.unknown_columns)

    async def flush_pending() -> None:
        nonlocal waiting
        # In atomic mode, once a row failed nothing will be kept: stop writing.
        if mode == ImportMode.partial or progress.failed == 0:
            for update, rows in pending.items():
                ins, upd = await writer.upsert(rows, update=update)
                progress.inserted += ins
                progress.updated += upd
        pending.clear()
        waiting = 0

    try:
        async for batch in source.batches():
            for raw in batch:
                progress.received += 1
                row_no = progress.received
                if row_no > max_rows:
                    raise PayloadTooLarge(f"At most {max_rows} rows per import")
                if row_no == 1:
                    reader.start(raw, options.account_id is not None)
                row = reader.row(raw, row_no, progress, context)
                if row is None:
                    continue
                try:
                    values = to_values(row)
                except RowRejected as exc:
                    progress.fail(row_no, exc.message, exc.field_name, exc.type)
                    continue
                natural = tuple(values[name] for name in kind.key)
                if natural in seen:
                    progress.fail(
                        row_no,
                        f"Duplicate of row {seen[natural]} in this document",
                        "/".join(kind.key),
                        "duplicate_key",
                    )
                    continue
                seen[natural] = row_no
                given = frozenset(c for c in values if c in row.model_fields_set)
                pending.setdefault(given, []).append(values)
                waiting += 1
                if waiting >= WRITE_BATCH:
                    await flush_pending()
        await flush_pending()
    except MalformedDocument as exc:
        raise UnprocessableEntity(str(exc))
    finally:
        source.close()

    notes = [n for n in (times.note(), reader.note(), _default_note(options, seen)) if n]
    result = ImportResult(
        received=progress.received,
        inserted=progress.inserted,
        updated=progress.updated,
        failed=progress.failed,
        mode=mode.value,
        errors=progress.errors,
        errors_truncated=progress.failed > len(progress.errors),
        notes=notes,
    )
    if progress.received == 0:
        raise UnprocessableEntity("The document has no rows")
    if mode == ImportMode.atomic and progress.failed:
        raise _atomic_failure(result)
    return result


def _default_note(options: ImportOptions, seen: dict[tuple[Any, ...], int]) -> str | None:
    if options.account_id is None:
        return None
    return f"Rows that name no account were imported on account {options.account_id}"


class _RowReader:
    """Turns a document's raw rows into valid rows of the kind: columns by their names
    or aliases, unknown ones reported or skipped, a CSV's empty cells left out (not
    given), then the row model (under `TEXT_VALUES`)."""

    def __init__(self, kind: ImportKind, csv_rows: bool, unknown: UnknownColumns) -> None:
        self.kind = kind
        self.csv = csv_rows
        self.columns = _Columns(kind, kind.lookup(), unknown == UnknownColumns.ignore)
        schema = row_schema(kind)["properties"]
        self.types = {name: _json_types(prop) for name, prop in schema.items()}

    def start(self, raw: Any, default_account: bool) -> None:
        """The first row: its keys are the document's columns."""
        if not isinstance(raw, dict):
            raise MalformedDocument("Row 1 is not an object: send an array of objects")
        self.columns.check(raw, default_account)

    def note(self) -> str | None:
        ignored = self.columns.ignored
        return f"Columns ignored: {', '.join(ignored)}" if ignored else None

    def row(
        self, raw: Any, row_no: int, progress: _Progress, context: dict[str, Any]
    ) -> BaseModel | None:
        if not isinstance(raw, dict):
            # Not a row at all: the document is not what the schema describes (an array
            # of objects), in either mode.
            raise MalformedDocument(f"Row {row_no} is not an object: send an array of objects")
        data: dict[str, Any] = {}
        for name, value in raw.items():
            problem = _problem(name, value)
            if problem:
                progress.fail(row_no, problem, None, "string_pattern_mismatch")
                return None
            column = self.columns.column(name)
            if column is None:
                if self.columns.ignore:
                    continue
                progress.fail(row_no, f"Unknown column {name!r}", name, "unknown_column")
                return None
            if self.csv and value is None:
                continue  # an empty cell: not given
            if column in data:
                progress.fail(
                    row_no, f"Two values for {column} ({name!r} is one)", column, "duplicate_column"
                )
                return None
            kind = _type_of(value)
            if kind != "string" and not self._allowed(column, kind):
                progress.fail(
                    row_no,
                    f"Input should be text or {' or '.join(sorted(self.types[column]))}",
                    column,
                    "type_error",
                )
                return None
            data[column] = value
        try:
            return self.kind.row_model.model_validate(data, context=context)
        except ValidationError as exc:
            errors = exc.errors()
            first = errors[0]
            loc = ".".join(str(p) for p in first["loc"]) or None
            others = sorted({".".join(str(p) for p in e["loc"]) for e in errors[1:]} - {loc})
            more = f" (and {len(errors) - 1} more: {', '.join(others)})" if len(errors) > 1 else ""
            progress.fail(row_no, f"{first['msg']}{more}", loc, first["type"])
            return None

    def _allowed(self, column: str, kind: str) -> bool:
        allowed = self.types.get(column, frozenset())
        return kind in allowed or (kind == "integer" and "number" in allowed)


def _problem(name: str, value: Any) -> str | None:
    """NUL (PostgreSQL cannot store it) anywhere in a row, ignored columns included."""
    texts = [name, *(value if isinstance(value, list) else [value])]
    if any(isinstance(t, str) and "\x00" in t for t in texts):
        return "text must not contain NUL (\\u0000) characters"
    return None


def _atomic_failure(result: ImportResult) -> AppError:
    return UnprocessableEntity(
        f"{result.failed} of {result.received} rows are invalid; nothing was imported. "
        "Fix them, or send mode=partial to import the valid rows.",
        errors=[e.model_dump() for e in result.errors],
    )


def release_memory_after(background: BackgroundTasks, result: ImportResult) -> None:
    """After a large import, give freed memory back: after the response, so after the
    commit, not while the import holds its locks."""
    if result.received >= LARGE_IMPORT_ROWS:
        background.add_task(release_memory)
