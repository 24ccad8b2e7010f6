"""Streaming readers for bulk imports: a JSON array or a CSV, sent raw or as a file upload.

The body is spooled to a temporary file (bounded memory, size-limited), then read back
in batches of rows in a worker thread so a 100,000-row import never blocks the event
loop nor holds the whole file as Python objects.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
import json
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from fastapi import Request, Response

from app.core.errors import BadRequest, PayloadTooLarge, UnprocessableEntity

_SPOOL_MEMORY = 4 * 1024 * 1024
_READ_SIZE = 256 * 1024
JSON_TYPES = ("application/json",)
CSV_TYPES = ("text/csv", "application/csv", "text/plain")


def template_route(kind: str) -> dict[str, Any]:
    """The route arguments of `GET .../{kind}/import/template` (a CSV download)."""
    return {
        "response_class": Response,
        "summary": f"A CSV template of the {kind} import: its columns and one example row",
        "description": "The header row names every column the import reads (their other "
        "names are in the import's description); the example row is on the client's first "
        "account. Empty cells are left out of a row: on a re-import they keep the stored "
        "value.",
    }


TEMPLATE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"}
}


def csv_download(text: str, filename: str) -> Response:
    """`text` as a CSV file the browser saves as `filename`."""
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def import_request_body(items: dict[str, Any], columns: str) -> dict[str, Any]:
    """An import operation's OpenAPI request body: a JSON array of `items`, a CSV whose
    columns `columns` describes, or either uploaded as a file."""
    return {
        "requestBody": {
            "required": True,
            "description": (
                "A JSON array of rows, a CSV with a header row, or either one uploaded as the "
                "`file` field of a multipart form. At most `IMPORT_MAX_BYTES` (a server "
                "setting, 100 MiB by default; other endpoints take `MAX_BODY_BYTES`, 1 MiB) "
                "and `IMPORT_MAX_ROWS` rows (100,000): a larger document is answered 413. "
                "A CSV is read as UTF-8 unless its Content-Type names another charset "
                "(`text/csv; charset=latin-1`).\n\n" + columns
            ),
            "content": {
                "application/json": {"schema": {"type": "array", "minItems": 1, "items": items}},
                "text/csv": {"schema": {"type": "string", "minLength": 1, "description": columns}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    },
                    # The file is read as JSON or CSV by its part's type (or its name's ending).
                    "encoding": {"file": {"contentType": "application/json, text/csv"}},
                },
            },
        }
    }


class RowSource:
    """Rows of an uploaded document, numbered from 1, as dicts of raw values."""

    def __init__(self, file: IO[bytes], kind: str, encoding: str = "utf-8-sig") -> None:
        self._file = file
        self.kind = kind
        self._rows = _iter_json(file) if kind == "json" else _iter_csv(file, encoding)

    def next_batch(self, size: int) -> list[Any]:
        batch: list[Any] = []
        for row in self._rows:
            batch.append(row)
            if len(batch) >= size:
                break
        return batch

    async def batches(self, size: int = 2000) -> Any:
        while True:
            batch = await asyncio.to_thread(self.next_batch, size)
            if not batch:
                return
            yield batch

    def close(self) -> None:
        self._file.close()


def _kind_of(content_type: str, filename: str | None = None) -> str | None:
    name = (filename or "").lower()
    if name.endswith(".json") or content_type in JSON_TYPES:
        return "json"
    if name.endswith(".csv") or content_type in CSV_TYPES:
        return "csv"
    return None


def _media_type(header: str) -> tuple[str, str]:
    """(media type, the Python codec of its charset: UTF-8 unless named)."""
    media, _, params = header.partition(";")
    charset = "utf-8-sig"
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"'):
            charset = value.strip().strip('"')
            try:
                codec = codecs.lookup(charset).name
            except LookupError:
                raise _unsupported(f"{media.strip()}; charset={charset}")
            charset = "utf-8-sig" if codec in ("utf-8", "utf-8-sig") else codec
    return media.strip().lower(), charset


async def open_upload(request: Request, max_bytes: int) -> RowSource:
    content_type, charset = _media_type(request.headers.get("content-type", ""))
    if content_type == "multipart/form-data":
        return await _open_multipart(request, max_bytes)
    kind = _kind_of(content_type)
    if kind is None:
        raise _unsupported(content_type)
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_MEMORY)  # noqa: SIM115
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            spool.close()
            raise PayloadTooLarge(f"The upload is larger than {max_bytes} bytes")
        spool.write(chunk)
    if size == 0:
        spool.close()
        raise BadRequest("The request body is empty")
    spool.seek(0)
    return RowSource(spool, kind, charset)


async def _open_multipart(request: Request, max_bytes: int) -> RowSource:
    try:
        form = await request.form(max_files=1, max_fields=10)
    except Exception as exc:  # malformed multipart bodies raise parser-specific errors
        raise BadRequest(f"Malformed multipart body: {exc}")
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise UnprocessableEntity(
            "Send the document as the 'file' field of the form",
            errors=[{"loc": ["body", "file"], "msg": "Field required", "type": "missing"}],
        )
    part_type, charset = _media_type(upload.content_type or "")
    kind = _kind_of(part_type, upload.filename)
    if kind is None:
        raise _unsupported(upload.content_type or "unknown")
    upload.file.seek(0, io.SEEK_END)
    if upload.file.tell() > max_bytes:
        raise PayloadTooLarge(f"The upload is larger than {max_bytes} bytes")
    upload.file.seek(0)
    return RowSource(upload.file, kind, charset)


def _unsupported(content_type: str) -> BadRequest:
    err = BadRequest(
        f"Unsupported content type {content_type!r}: send application/json (an array), "
        "text/csv, or multipart/form-data with a 'file' field"
    )
    err.status_code = 415
    err.slug = "unsupported-media-type"
    err.title = "Unsupported media type"
    return err


class MalformedDocument(Exception):
    """The document as a whole cannot be read (not a row-level problem)."""


def _iter_csv(file: IO[bytes], encoding: str = "utf-8-sig") -> Iterator[dict[str, Any]]:
    text = codecs.getreader(encoding)(file, "strict")
    try:
        reader = csv.DictReader(text, strict=True)
        if not reader.fieldnames:
            raise MalformedDocument("The CSV has no header row")
        header = [h.strip() for h in reader.fieldnames]
        if len(set(header)) != len(header):
            raise MalformedDocument("The CSV header repeats a column name")
        reader.fieldnames = header
        for row in reader:
            if None in row:
                raise MalformedDocument(
                    f"CSV line {reader.line_num}: more values than header columns"
                )
            yield {k: (v if v != "" else None) for k, v in row.items()}
    except csv.Error as exc:
        raise MalformedDocument(f"Malformed CSV: {exc}")
    except UnicodeDecodeError:
        named = "UTF-8" if encoding == "utf-8-sig" else encoding
        raise MalformedDocument(
            f"The CSV is not valid {named}: name its charset in the Content-Type "
            "(text/csv; charset=latin-1)"
        )


def _iter_json(file: IO[bytes]) -> Iterator[Any]:
    """Incremental reader of a top-level JSON array: one element at a time."""
    decoder = json.JSONDecoder()
    reader = codecs.getreader("utf-8-sig")(file, "strict")
    buf = ""
    pos = 0
    eof = False

    def fill() -> bool:
        nonlocal buf, pos, eof
        try:
            chunk = reader.read(_READ_SIZE)
        except UnicodeDecodeError:
            raise MalformedDocument("The JSON is not valid UTF-8")
        if not chunk:
            eof = True
            return False
        buf = buf[pos:] + chunk
        pos = 0
        return True

    def skip_ws() -> str | None:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                pos += 1
            if pos < len(buf):
                return buf[pos]
            if not fill():
                return None

    if skip_ws() != "[":
        raise MalformedDocument("The JSON body must be an array of objects")
    pos += 1
    first = True
    while True:
        ch = skip_ws()
        if ch is None:
            raise MalformedDocument("The JSON array is not closed")
        if ch == "]":
            pos += 1
            if skip_ws() is not None:
                raise MalformedDocument("Unexpected data after the JSON array")
            return
        if not first:
            if ch != ",":
                raise MalformedDocument(f"Expected ',' between array items near char {pos}")
            pos += 1
            skip_ws()
        first = False
        while True:
            try:
                value, end = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError as exc:
                if not eof and fill():
                    continue
                raise MalformedDocument(f"Malformed JSON: {exc.msg}")
            # A number at the buffer's edge may be cut: read more before trusting it.
            if end >= len(buf) and not eof and fill():
                continue
            pos = end
            break
        yield value
