"""The audit log: every write records who did what to which resource, when, from where."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import AuthContext
from app.tenants.models import AuditEvent


def record(
    session: AsyncSession,
    auth: AuthContext,
    action: str,
    resource_type: str,
    resource_id: uuid.UUID | str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        tenant_id=auth.tenant_id,
        created_at=datetime.now(UTC),
        actor_user_id=auth.user_id,
        actor_api_key_id=auth.api_key_id,
        actor_email=auth.email,
        action=action,
        resource_type=resource_type,
        resource_id=str(resource_id) if resource_id is not None else None,
        ip=auth.ip,
        user_agent=auth.user_agent,
        request_id=auth.request_id,
        details=details or {},
    )
    session.add(event)
    return event
