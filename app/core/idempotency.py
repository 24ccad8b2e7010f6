"""`Idempotency-Key` for POSTs that create work: the same key and body replay the stored
answer; the same key with another body is a 409."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from sqlalchemy import DateTime, Integer, String, UniqueConstraint, Uuid, select
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Mapped, mapped_column

from app.core.auth import AuthContext
from app.core.db import Base, Database, TenantMixin
from app.core.errors import Conflict

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
    """The stored answer to a POST sent with an Idempotency-Key."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSONB)
    headers: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def fingerprint(method: str, path: str, body: Any) -> str:
    payload = json.dumps({"m": method, "p": path, "b": body}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


async def replay(
    db: Database, auth: AuthContext, key: str | None, request_hash: str
) -> JSONResponse | None:
    if not key:
        return None
    async with db.session() as session:
        found = (
            await session.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.tenant_id == auth.tenant_id, IdempotencyRecord.key == key
                )
            )
        ).scalar_one_or_none()
    if found is None:
        return None
    if found.request_hash != request_hash:
        raise Conflict("This Idempotency-Key was used with a different request")
    return JSONResponse(
        found.response,
        status_code=found.status_code,
        headers={**found.headers, "Idempotent-Replayed": "true"},
    )


async def remember(
    db: Database,
    auth: AuthContext,
    key: str | None,
    request_hash: str,
    status_code: int,
    body: Any,
    headers: dict[str, str] | None = None,
) -> None:
    if not key:
        return
    async with db.session() as session, session.begin():
        await session.execute(
            insert(IdempotencyRecord)
            .values(
                id=uuid.uuid4(),
                tenant_id=auth.tenant_id,
                key=key,
                request_hash=request_hash,
                status_code=status_code,
                response=body,
                headers=headers or {},
                created_at=datetime.now(UTC),
            )
            .on_conflict_do_nothing()
        )
