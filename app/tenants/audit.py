"""The audit log: every write records who did what to which resource, when, from where."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.scope import Actor
from app.tenants.models import AuditEvent


def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: uuid.UUID | str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        tenant_id=actor.tenant_id,
        created_at=datetime.now(UTC),
        actor_user_id=actor.user_id,
        actor_api_key_id=actor.api_key_id,
        actor_email=actor.email,
        action=action,
        resource_type=resource_type,
        resource_id=str(resource_id) if resource_id is not None else None,
        ip=actor.ip,
        user_agent=actor.user_agent,
        request_id=actor.request_id,
        details=details or {},
    )
    session.add(event)
    return event
