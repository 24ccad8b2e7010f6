"""Who a piece of work is for (the tenant) and who it is recorded as (the actor).

A request's `AuthContext` carries both, but they are different things and the code
below the routers takes only what it needs:

- `TenantScope`: the tenant every query of a repository is limited to. Repositories take
  a scope, nothing else about the caller.
- `Actor`: who a write is recorded as in the audit log and in `created_by` columns: a
  user, an API key, or a job acting for whoever created it (the job row keeps that).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TenantScope:
    """The tenant every query of a repository is limited to."""

    tenant_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class Actor:
    """Who a write is recorded as: the tenant it happened in and the user or API key
    behind it, with where the request came from when there was one."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    email: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None

    @property
    def scope(self) -> TenantScope:
        return TenantScope(self.tenant_id)
