from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.clients.schemas import Handle
from app.core.enums import Platform
from app.core.imports import ImportPlatform, ImportTime
from app.core.schemas import Count, StrictModel, UtcDatetime

# The metrics list's orders, the only definition: the `sort` query parameter's values and
# the ORDER BY (app/metrics/repository.py) both come from it. "-" means descending.
MetricSort = Literal["captured_at", "-captured_at"]


class MetricFields(StrictModel):
    captured_at: UtcDatetime = Field(examples=["2026-03-14T00:00:00Z"])
    followers: Count = Field(examples=[125_400])
    following: Count = 0
    posts_total: Count = 0
    engagement_rate: Annotated[float, Field(ge=0, le=100)] = Field(
        default=0.0, description="Engagements per impression, as a fraction (0.034 = 3.4%)"
    )
    reach: Count = 0
    impressions: Count = 0


class MetricCreate(MetricFields):
    account_id: uuid.UUID


class MetricImportRow(MetricFields):
    """One row of an import (app/core/imports.py): the account by id, by platform +
    handle, or the query's; `captured_at` in the import's `time_format`."""

    account_id: uuid.UUID | None = None
    platform: ImportPlatform | None = None
    account_handle: Handle | None = None
    captured_at: ImportTime


class MetricUpdate(StrictModel):
    followers: Count | None = None
    following: Count | None = None
    posts_total: Count | None = None
    engagement_rate: Annotated[float, Field(ge=0, le=100)] | None = None
    reach: Count | None = None
    impressions: Count | None = None


class MetricOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    client_id: uuid.UUID
    account_id: uuid.UUID
    platform: Platform | None = None
    captured_at: datetime
    followers: int
    following: int
    posts_total: int
    engagement_rate: float
    reach: int
    impressions: int
    created_at: datetime
    updated_at: datetime
