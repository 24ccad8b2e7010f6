"""Bulk imports: the engine the posts and metrics imports share.

A document (a JSON array or a CSV, read in batches by `app/core/bulk.py`) becomes rows of
one table. Each row is validated by its kind's row model, turned into column values by
the caller's `to_values` (which may reject it with `RowRejected`), checked against the
rows before it for a repeated natural key, and upserted in batches (`BulkWriter`, in the
request's transaction). Atomic mode: any bad row rejects the whole document with a 422
listing the rows, and nothing is written (the request rolls back). Partial mode: the
valid rows are written and the others reported. Never silently partial.

No domain is known here: each domain defines its `ImportKind` and its `to_values`. Rows
of every import name a client's social account the same way, by `account_id` or by
`platform` + `account_handle`; `AccountLookup` resolves them from the accounts the
caller read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from fastapi import BackgroundTasks, Query
from pydantic import BaseModel, Field, ValidationError

from app.core.bulk import MalformedDocument, RowSource
from app.core.errors import AppError, PayloadTooLarge, UnprocessableEntity
from app.core.memory import release_memory
from app.core.repository import BulkWriter
from app.core.schemas import TEXT_VALUES

MAX_REPORTED_ERRORS = 1000
WRITE_BATCH = 5000
LARGE_IMPORT_ROWS = 10_000  # after an import this large, give freed memory back


class ImportMode(StrEnum):
    atomic = "atomic"
    partial = "partial"


ModeQuery = Annotated[
    ImportMode,
    Query(
        description="atomic: any bad row rejects the whole document (nothing written); "
        "partial: valid rows are written and bad rows reported"
    ),
]


class RowError(BaseModel):
    row: int = Field(description="1-based row number in the document (CSV: data rows)")
    field: str | None = None
    message: str


class ImportResult(BaseModel):
    received: int = Field(description="Rows read from the document")
    inserted: int
    updated: int
    failed: int = Field(description="Rows rejected (not written)")
    mode: str
    errors: list[RowError] = Field(description="Up to 1,000 row errors")
    errors_truncated: bool = False

    def counts(self) -> dict[str, Any]:
        """What the audit log keeps of an import."""
        return {
            "received": self.received,
            "inserted": self.inserted,
            "updated": self.updated,
            "failed": self.failed,
            "mode": self.mode,
        }


@dataclass(frozen=True, slots=True)
class ImportKind:
    """What a domain imports: its name (in the audit log), the model one row of the
    document must validate as, and the natural key the rows are upserted on (a second
    row with the same key in one document is an error)."""

    name: str
    row_model: type[BaseModel]
    key: tuple[str, ...]


class RowRejected(Exception):
    """One row cannot be imported: `to_values` raises it with the message and the field."""

    def __init__(self, message: str, field_name: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_name = field_name


@dataclass(frozen=True, slots=True)
class AccountLookup:
    """A client's social accounts, for rows that name theirs by `account_id` or by
    `platform` + `account_handle` (handles compare case-insensitively)."""

    platform_of: dict[uuid.UUID, str]
    by_handle: dict[tuple[str, str], uuid.UUID]

    @classmethod
    def of(cls, accounts: Iterable[tuple[uuid.UUID, str, str]]) -> AccountLookup:
        """From (id, platform, handle) of each of the client's accounts."""
        listed = list(accounts)
        return cls(
            platform_of={id_: platform for id_, platform, _ in listed},
            by_handle={(platform, handle.lower()): id_ for id_, platform, handle in listed},
        )

    def resolve(
        self, account_id: uuid.UUID | None, platform: str | None, handle: str | None
    ) -> tuple[uuid.UUID, str]:
        """(account id, its platform); `RowRejected` when the client has no such account.
        Without `account_id`, the row model guarantees `platform` and `handle`."""
        if account_id is None:
            account_id = self.by_handle.get((str(platform), str(handle).lower()))
            if account_id is None:
                raise RowRejected(
                    f"No {platform} account @{handle} for this client", "account_handle"
                )
        elif account_id not in self.platform_of:
            raise RowRejected("account_id is not one of this client's accounts", "account_id")
        return account_id, self.platform_of[account_id]


@dataclass
class _Progress:
    received: int = 0
    inserted: int = 0
    updated: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)

    def fail(self, row: int, message: str, field_name: str | None = None) -> None:
        self.failed += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(row=row, field=field_name, message=message))


async def import_rows(
    kind: ImportKind,
    source: RowSource,
    to_values: Callable[[Any], dict[str, Any]],
    writer: BulkWriter,
    *,
    mode: ImportMode,
    max_rows: int,
) -> ImportResult:
    """Import the document's rows (see the module's docstring). `to_values` turns a valid
    row (an instance of `kind.row_model`) into the values of every column it sets, or
    raises `RowRejected`. The source is closed at the end."""
    seen: dict[tuple[Any, ...], int] = {}
    progress = _Progress()
    pending: list[dict[str, Any]] = []
    # A row is read as it is written in a document: a CSV's cells are text, and a JSON row
    # may write them so too (`"5"`, `"true"`, `"a|b"`), as the same rows in either format
    # import alike (app/core/schemas.py, TEXT_VALUES). Times are RFC 3339 in both.
    context = {TEXT_VALUES: True}

    async def flush_pending() -> None:
        # In atomic mode, once a row failed nothing will be kept: stop writing.
        if pending and (mode == ImportMode.partial or progress.failed == 0):
            ins, upd = await writer.upsert(pending)
            progress.inserted += ins
            progress.updated += upd
        pending.clear()

    try:
        async for batch in source.batches():
            for raw in batch:
                progress.received += 1
                row_no = progress.received
                if row_no > max_rows:
                    raise PayloadTooLarge(f"At most {max_rows} rows per import")
                values = _row_values(raw, row_no, kind, to_values, progress, context)
                if values is None:
                    continue
                natural = tuple(values[name] for name in kind.key)
                if natural in seen:
                    progress.fail(
                        row_no,
                        f"Duplicate of row {seen[natural]} in this document",
                        "/".join(kind.key),
                    )
                    continue
                seen[natural] = row_no
                pending.append(values)
                if len(pending) >= WRITE_BATCH:
                    await flush_pending()
        await flush_pending()
    except MalformedDocument as exc:
        raise UnprocessableEntity(str(exc))
    finally:
        source.close()

    result = ImportResult(
        received=progress.received,
        inserted=progress.inserted,
        updated=progress.updated,
        failed=progress.failed,
        mode=mode.value,
        errors=progress.errors,
        errors_truncated=progress.failed > len(progress.errors),
    )
    if progress.received == 0:
        raise UnprocessableEntity("The document has no rows")
    if mode == ImportMode.atomic and progress.failed:
        raise _atomic_failure(result)
    return result


def _row_values(
    raw: Any,
    row_no: int,
    kind: ImportKind,
    to_values: Callable[[Any], dict[str, Any]],
    progress: _Progress,
    context: dict[str, Any] | None,
) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        # Not a row at all: the document is not what the schema describes (an array of
        # objects), in either mode.
        raise MalformedDocument(f"Row {row_no} is not an object: send an array of objects")
    try:
        row = kind.row_model.model_validate(raw, context=context)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or None
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        progress.fail(row_no, f"{first['msg']}{more}", loc)
        return None
    try:
        return to_values(row)
    except RowRejected as exc:
        progress.fail(row_no, exc.message, exc.field_name)
        return None


def _atomic_failure(result: ImportResult) -> AppError:
    errors = [
        {
            "loc": ["body", e.row, *([e.field] if e.field else [])],
            "msg": e.message,
            "type": "row_error",
        }
        for e in result.errors
    ]
    return UnprocessableEntity(
        f"{result.failed} of {result.received} rows are invalid; nothing was imported. "
        "Fix them, or send mode=partial to import the valid rows.",
        errors=errors,
    )


def release_memory_after(background: BackgroundTasks, result: ImportResult) -> None:
    """After a large import, give freed memory back: after the response, so after the
    commit, not while the import holds its locks."""
    if result.received >= LARGE_IMPORT_ROWS:
        background.add_task(release_memory)
