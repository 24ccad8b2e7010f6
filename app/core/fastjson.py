"""JSON responses for the hottest read paths, serialised straight from database rows.

These endpoints still declare their `response_model` (the OpenAPI schema and the
contract); they skip building Pydantic models per row, which cost more than the query.
orjson's output matches Pydantic's for our types (UUID strings, UTC times with "Z").
Tests compare both paths' shapes through the same assertions as every other endpoint.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from fastapi import Response

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> str:
    # asyncpg's UUID type is not uuid.UUID itself, which orjson knows natively.
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, option=_OPTIONS, default=_default)


class FastJSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def page_response(items: list[bytes], total: int, limit: int, offset: int) -> Response:
    """A list's `{items, total, limit, offset}` from items already rendered: the same
    bytes as FastJSONResponse of the whole page."""
    body = b'{"items":[%b],"total":%d,"limit":%d,"offset":%d}' % (
        b",".join(items),
        total,
        limit,
        offset,
    )
    return Response(body, media_type="application/json")
