"""Building blocks of request and response schemas shared by every domain."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]
# A count of something (likes, followers): never negative, and within a BIGINT.
Count = Annotated[int, Field(ge=0, le=10**13)]
# The first and last instants a time may be: one day inside Python's datetime range, so
# that any time accepted can be converted to UTC and then to any zone (offsets are under
# a day) without overflowing. `0001-01-01T00:00:00+14:00` is before the range.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)


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


# Every time the API reads (body fields, query filters, import rows) is this type: it must
# carry a zone, is normalised to UTC (as stored and returned), and must lie in
# [EARLIEST, LATEST], so a value at the edges is a 422 naming its field, never a 500.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]


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


class StrictModel(BaseModel):
    """Request bodies reject unknown fields (so a stray `tenant_id` is an error) and NUL
    characters, which PostgreSQL text cannot store."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        _reject_nul(data)
        return data
