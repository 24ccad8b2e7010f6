"""`Idempotency-Key` for POSTs that create work: the same key and body replay the stored
answer; the same key with another body is a 409.

A key is *claimed* before the work: `claim` inserts its row (unique per tenant and key)
in the caller's transaction. A second request with the same key blocks on that row until
the first transaction ends, then finds the answer and replays it; so when the work, its
claim and its answer commit in one transaction (a job: its row, its enqueue and its key),
two concurrent retries create one job. Work that spans several transactions (a
synchronous analysis run) commits the claim first: a duplicate that arrives meanwhile is
told to retry (409 with Retry-After), and a claim left unfinished by a crash is taken
over after `STALE_AFTER`. A failed request releases its claim, so a retry runs again.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from sqlalchemy import DateTime, Integer, String, UniqueConstraint, Uuid, delete, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, TenantMixin
from app.core.errors import Conflict
from app.core.scope import TenantScope

STALE_AFTER = timedelta(minutes=15)  # an unfinished claim older than this is taken over
RETRY_AFTER_SECONDS = 5

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Send the same key to safely retry: the first answer is replayed",
    ),
]


class IdempotencyRecord(TenantMixin, Base):
    """A claimed Idempotency-Key and, once the work is done, its answer."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSONB)
    headers: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def fingerprint(method: str, path: str, body: Any) -> str:
    payload = json.dumps({"m": method, "p": path, "b": body}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Claim:
    """A key this request holds (`record_id` None: no key was sent, nothing to keep)."""

    record_id: uuid.UUID | None

    async def complete(
        self,
        session: AsyncSession,
        status_code: int,
        body: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Store the answer (in the caller's transaction)."""
        if self.record_id is None:
            return
        await session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == self.record_id)
            .values(
                status_code=status_code,
                response=body,
                headers=headers or {},
                completed_at=datetime.now(UTC),
            )
        )

    async def release(self, session: AsyncSession) -> None:
        """Forget an unfinished claim (the work failed: a retry may run it again)."""
        if self.record_id is None:
            return
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.id == self.record_id, IdempotencyRecord.completed_at.is_(None)
            )
        )


async def claim(
    session: AsyncSession, scope: TenantScope, key: str | None, request_hash: str
) -> Claim | JSONResponse:
    """Claim `key` for this request, or the stored answer to replay.

    Blocks while another open transaction holds the same key. Raises 409 when the key
    was used with another request, or when its first request is still being worked on.
    """
    if not key:
        return Claim(None)
    now = datetime.now(UTC)
    inserted = await session.execute(
        insert(IdempotencyRecord)
        .values(
            id=uuid.uuid4(),
            tenant_id=scope.tenant_id,
            key=key,
            request_hash=request_hash,
            status_code=0,
            response={},
            headers={},
            created_at=now,
        )
        .on_conflict_do_nothing()
        .returning(IdempotencyRecord.id)
    )
    record_id = inserted.scalar_one_or_none()
    if record_id is not None:
        return Claim(record_id)
    found = (
        await session.execute(
            select(IdempotencyRecord)
            .where(IdempotencyRecord.tenant_id == scope.tenant_id, IdempotencyRecord.key == key)
            .with_for_update()
        )
    ).scalar_one()
    if found.request_hash != request_hash:
        raise Conflict("This Idempotency-Key was used with a different request")
    if found.completed_at is not None:
        return JSONResponse(
            found.response,
            status_code=found.status_code,
            headers={**found.headers, "Idempotent-Replayed": "true"},
        )
    if now - found.created_at < STALE_AFTER:
        raise Conflict(
            "A request with this Idempotency-Key is still being processed; retry shortly",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    found.created_at = now  # its first request died: this one takes the claim over
    return Claim(found.id)
