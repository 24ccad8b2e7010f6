"""Every tenant-scoped endpoint, driven from one table: no token 401, too low a role 403,
another tenant's ids 404 (and nothing of it in lists), a valid call, and bad input
answered with a problem+json 4xx that changes nothing.

A route missing from the table fails `test_every_route_is_in_the_table`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import Role
from app.tenants.models import AuditEvent
from tests.clustering.seed import with_cluster_model
from tests.factories import TenantWorld, assert_problem
from tests.forecasting.seed import with_follower_history, with_forecast

W = TenantWorld
Req = dict[str, Any]


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    role: Role  # minimum role
    ok: int
    valid: Callable[[W], Req] = lambda w: {}
    bad: Callable[[W], Req] | None = None
    bad_status: int = 422
    superuser: bool = False
    lists: str | None = None  # attribute naming the world objects a list must show
    writes: bool = field(default=False)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _post_row(w: W, external_id: str = "new-1") -> dict[str, Any]:
    return {
        "account_id": str(w.accounts[0].id),
        "external_id": external_id,
        "author_handle": "someone",
        "text": "Hola #nuevo @brand",
        "published_at": "2026-03-10T10:00:00Z",
        "likes": 3,
    }


def _metric_row(w: W) -> dict[str, Any]:
    return {
        "account_id": str(w.accounts[1].id),
        "captured_at": "2026-04-01T00:00:00Z",
        "followers": 1234,
    }


C = "/api/v1/clients/{client_id}"
F = C + "/accounts/{account_id}/forecasts"
A = "/api/v1/agents"
D = "/api/v1/documents"
CASES = [
    Case("GET", "/api/v1/auth/me", Role.viewer, 200),
    Case("GET", "/api/v1/tenant", Role.viewer, 200),
    Case(
        "PATCH",
        "/api/v1/tenant",
        Role.admin,
        200,
        lambda w: {"json": {"name": "Renamed"}},
        lambda w: {"json": {"language": "fr"}},
        writes=True,
    ),
    Case(
        "GET",
        "/api/v1/tenant/users",
        Role.viewer,
        200,
        lists="users",
        bad=lambda w: {"params": {"limit": 0}},
    ),
    Case(
        "POST",
        "/api/v1/tenant/users",
        Role.admin,
        201,
        lambda w: {
            "json": {
                "email": f"new-{uuid.uuid4().hex[:6]}@example.com",
                "password": "long-password",
                "full_name": "New",
                "role": "viewer",
            }
        },
        lambda w: {"json": {"email": "not-an-email", "password": "x", "full_name": ""}},
        writes=True,
    ),
    Case("GET", "/api/v1/tenant/users/{user_id}", Role.viewer, 200),
    Case(
        "PATCH",
        "/api/v1/tenant/users/{user_id}",
        Role.admin,
        200,
        lambda w: {"json": {"role": "viewer"}},
        lambda w: {"json": {"role": "emperor"}},
        writes=True,
    ),
    Case("DELETE", "/api/v1/tenant/users/{user_id}", Role.admin, 204, writes=True),
    Case(
        "GET", "/api/v1/tenant/api-keys", Role.admin, 200, bad=lambda w: {"params": {"offset": -1}}
    ),
    Case(
        "POST",
        "/api/v1/tenant/api-keys",
        Role.admin,
        201,
        lambda w: {"json": {"name": "etl", "role": "analyst"}},
        lambda w: {"json": {"name": "", "role": "analyst"}},
        writes=True,
    ),
    Case("GET", "/api/v1/tenant/api-keys/{key_id}", Role.admin, 200),
    Case("DELETE", "/api/v1/tenant/api-keys/{key_id}", Role.admin, 204, writes=True),
    Case(
        "GET",
        "/api/v1/tenant/audit-events",
        Role.admin,
        200,
        bad=lambda w: {"params": {"since": "yesterday"}},
    ),
    Case(
        "GET",
        "/api/v1/admin/tenants",
        Role.viewer,
        200,
        superuser=True,
        bad=lambda w: {"params": {"limit": 100000}},
    ),
    Case("POST", "/api/v1/admin/tenants/{tenant_id}/deactivate", Role.viewer, 200, superuser=True),
    Case(
        "GET",
        "/api/v1/clients",
        Role.viewer,
        200,
        lists="client",
        bad=lambda w: {"params": {"sort": "random"}},
    ),
    Case(
        "POST",
        "/api/v1/clients",
        Role.analyst,
        201,
        lambda w: {"json": {"name": "Nueva Marca", "country": "pe", "language": "es"}},
        lambda w: {"json": {"name": "X", "country": "Peru"}},
        writes=True,
    ),
    Case("GET", C, Role.viewer, 200),
    Case(
        "PATCH",
        C,
        Role.analyst,
        200,
        lambda w: {"json": {"industry": "retail"}},
        lambda w: {"json": {"website": "not a url"}},
        writes=True,
    ),
    Case("DELETE", C, Role.analyst, 204, writes=True),
    Case(
        "GET",
        C + "/accounts",
        Role.viewer,
        200,
        lists="accounts",
        bad=lambda w: {"params": {"platform": "myspace"}},
    ),
    Case(
        "POST",
        C + "/accounts",
        Role.analyst,
        201,
        lambda w: {"json": {"platform": "tiktok", "handle": "@brand_tt"}},
        lambda w: {"json": {"platform": "tiktok", "handle": "has spaces"}},
        writes=True,
    ),
    Case("GET", C + "/accounts/{account_id}", Role.viewer, 200),
    Case(
        "PATCH",
        C + "/accounts/{account_id}",
        Role.analyst,
        200,
        lambda w: {"json": {"display_name": "Brand"}},
        lambda w: {"json": {"platform": "x"}},
        writes=True,
    ),
    Case("DELETE", C + "/accounts/{account_id}", Role.analyst, 204, writes=True),
    Case(
        "GET",
        C + "/posts",
        Role.viewer,
        200,
        lists="posts",
        bad=lambda w: {"params": {"since": "not-a-date"}},
    ),
    Case(
        "POST",
        C + "/posts",
        Role.analyst,
        201,
        lambda w: {"json": _post_row(w)},
        lambda w: {"json": {**_post_row(w), "likes": -1}},
        writes=True,
    ),
    Case(
        "POST",
        C + "/posts/import",
        Role.analyst,
        200,
        lambda w: {"json": [_post_row(w, "imp-1"), _post_row(w, "imp-2")]},
        lambda w: {"json": [{**_post_row(w), "published_at": "soon"}]},
        writes=True,
    ),
    Case("GET", C + "/posts/import/template", Role.viewer, 200),
    Case("GET", C + "/posts/{post_id}", Role.viewer, 200),
    Case(
        "PATCH",
        C + "/posts/{post_id}",
        Role.analyst,
        200,
        lambda w: {"json": {"likes": 99}},
        lambda w: {"json": {"likes": "many"}},
        writes=True,
    ),
    Case("DELETE", C + "/posts/{post_id}", Role.analyst, 204, writes=True),
    Case(
        "GET",
        C + "/metrics",
        Role.viewer,
        200,
        lists="metrics",
        bad=lambda w: {"params": {"sort": "followers"}},
    ),
    Case(
        "POST",
        C + "/metrics",
        Role.analyst,
        201,
        lambda w: {"json": _metric_row(w)},
        lambda w: {"json": {**_metric_row(w), "captured_at": "2026-04-01T00:00:00"}},
        writes=True,
    ),
    Case(
        "POST",
        C + "/metrics/import",
        Role.analyst,
        200,
        lambda w: {"json": [_metric_row(w)]},
        lambda w: {"json": [{**_metric_row(w), "followers": -5}]},
        writes=True,
    ),
    Case("GET", C + "/metrics/import/template", Role.viewer, 200),
    Case("GET", C + "/metrics/{metric_id}", Role.viewer, 200),
    Case(
        "PATCH",
        C + "/metrics/{metric_id}",
        Role.analyst,
        200,
        lambda w: {"json": {"followers": 5}},
        lambda w: {"json": {"engagement_rate": -1}},
        writes=True,
    ),
    Case("DELETE", C + "/metrics/{metric_id}", Role.analyst, 204, writes=True),
    # Forecasting and clustering: models are addressed as "latest"; the world has no
    # model (and 3 follower points), so the valid cases seed one first (see the seeds).
    Case(
        "POST",
        F,
        Role.analyst,
        201,
        lambda w: {"json": {"horizon_days": 14}, "auth": with_follower_history(w)},
        lambda w: {"json": {"horizon_days": 0}},
        writes=True,
    ),
    Case("GET", F, Role.viewer, 200, bad=lambda w: {"params": {"limit": 0}}),
    Case(
        "GET",
        F + "/compare",
        Role.viewer,
        200,
        lambda w: {"auth": with_forecast(w)},
        lambda w: {"params": {"ids": "not-an-id,other"}},
    ),
    Case("GET", F + "/{version_id}", Role.viewer, 200, lambda w: {"auth": with_forecast(w)}),
    Case(
        "GET",
        F + "/{version_id}/predict",
        Role.viewer,
        200,
        lambda w: {"params": {"days": 10}, "auth": with_forecast(w)},
        lambda w: {"params": {"days": 0}},
    ),
    Case(
        "POST",
        C + "/post-clusters",
        Role.analyst,
        201,
        lambda w: {"json": {"k": 2}},
        lambda w: {"json": {"k": 1}},
        writes=True,
    ),
    Case("GET", C + "/post-clusters", Role.viewer, 200, bad=lambda w: {"params": {"offset": -1}}),
    Case(
        "GET",
        C + "/post-clusters/{model_id}",
        Role.viewer,
        200,
        lambda w: {"auth": with_cluster_model(w)},
    ),
    Case(
        "GET",
        C + "/post-clusters/{model_id}/posts",
        Role.viewer,
        200,
        lambda w: {"params": {"cluster": 0}, "auth": with_cluster_model(w)},
        lambda w: {"params": {"cluster": -1}},
    ),
    Case(
        "POST",
        C + "/post-clusters/{model_id}/assign",
        Role.viewer,
        200,
        lambda w: {
            "json": {"likes": 40, "views": 500, "reach": 300},
            "auth": with_cluster_model(w),
        },
        lambda w: {"json": {"likes": -1, "author_followers": 10}},
    ),
    # Analyses.
    Case(
        "POST",
        C + "/analyses/{question}",
        Role.analyst,
        201,
        lambda w: {"json": {"since": "2026-01-01T00:00:00Z"}},
        lambda w: {"json": {"since": "yesterday"}},
        writes=True,
    ),
    Case(
        "POST",
        C + "/analyses",
        Role.analyst,
        202,
        lambda w: {"json": {"questions": ["q7"]}},
        lambda w: {"json": {"questions": ["q99"]}},
        writes=True,
    ),
    Case("GET", "/api/v1/jobs/{job_id}", Role.viewer, 200),
    Case("GET", C + "/analyses", Role.viewer, 200, bad=lambda w: {"params": {"status": "done"}}),
    Case("GET", "/api/v1/analyses/{run_id}", Role.viewer, 200),
    Case("GET", C + "/insights", Role.viewer, 200),
    Case(
        "POST",
        "/api/v1/analyze/text",
        Role.viewer,
        200,
        lambda w: {"json": {"texts": ["hola"]}},
        lambda w: {"json": {"texts": []}},
    ),
    Case("GET", "/api/v1/tenant/ai-settings", Role.admin, 200),
    Case(
        "PUT",
        "/api/v1/tenant/ai-settings",
        Role.admin,
        200,
        lambda w: {"json": {"engine": "local"}},
        lambda w: {"json": {"engine": "gpt"}},
        writes=True,
    ),
    # Agents.
    Case(
        "GET",
        A,
        Role.viewer,
        200,
        lists="agents",
        bad=lambda w: {"params": {"kind": "robot"}},
    ),
    Case(
        "POST",
        A,
        Role.analyst,
        201,
        lambda w: {
            "json": {
                "name": "Asistente",
                "slug": "asistente-nuevo",
                "kind": "assistant",
                "tools": ["count_posts"],
                "system_prompt": "Usted es el asistente.",
            }
        },
        lambda w: {
            "json": {
                "name": "Asistente",
                "slug": "Not A Slug",
                "kind": "assistant",
                "system_prompt": "Usted es el asistente.",
            }
        },
        writes=True,
    ),
    Case("GET", A + "/{agent_id}", Role.viewer, 200),
    Case(
        "PATCH",
        A + "/{agent_id}",
        Role.analyst,
        200,
        lambda w: {"json": {"system_prompt": "Nuevo prompt."}},
        lambda w: {"json": {"tools": ["sql"]}},
        writes=True,
    ),
    Case("DELETE", A + "/{agent_id}", Role.analyst, 204, writes=True),
    Case(
        "GET",
        A + "/{agent_id}/versions",
        Role.viewer,
        200,
        bad=lambda w: {"params": {"limit": 0}},
    ),
    Case("GET", A + "/{agent_id}/versions/{version}", Role.viewer, 200),
    # Documents.
    Case(
        "GET",
        D,
        Role.viewer,
        200,
        lists="documents",
        bad=lambda w: {"params": {"status": "done"}},
    ),
    Case(
        "POST",
        D,
        Role.analyst,
        201,
        lambda w: {"files": {"file": ("faq.txt", b"Horario: de 9 a 18 horas.", "text/plain")}},
        lambda w: {"files": {"file": ("foto.png", b"\x89PNG\r\n\x1a\n", "image/png")}},
        bad_status=415,
        writes=True,
    ),
    Case(
        "GET",
        D + "/search",
        Role.viewer,
        200,
        lambda w: {"params": {"q": "horario de atención"}},
        lambda w: {"params": {"q": "horario", "k": 0}},
    ),
    Case("POST", D + "/reindex", Role.analyst, 202, writes=True),
    Case("GET", D + "/{document_id}", Role.viewer, 200),
    Case("DELETE", D + "/{document_id}", Role.analyst, 204, writes=True),
    # Chat.
    Case(
        "POST",
        A + "/{agent_id}/chat",
        Role.viewer,
        200,
        lambda w: {"json": {"message": "Hola"}},
        lambda w: {"json": {"message": "   "}},
    ),
    Case(
        "POST",
        A + "/{agent_id}/chat/stream",
        Role.viewer,
        200,
        lambda w: {"json": {"message": "Hola"}},
        lambda w: {"json": {"message": "Hola", "conversation_id": "not-a-uuid"}},
    ),
    Case(
        "GET",
        "/api/v1/conversations",
        Role.viewer,
        200,
        lists="conversations",
        bad=lambda w: {"params": {"channel": "telegram"}},
    ),
    Case("GET", "/api/v1/conversations/{conversation_id}", Role.viewer, 200),
    Case(
        "GET",
        "/api/v1/conversations/{conversation_id}/messages",
        Role.viewer,
        200,
        bad=lambda w: {"params": {"limit": 0}},
    ),
]

# Public routes: covered by tests/auth/test_auth.py.
PUBLIC = {
    "POST /api/v1/auth/register",
    "POST /api/v1/auth/login",
    "POST /api/v1/auth/token",
    "POST /api/v1/auth/refresh",
    "POST /api/v1/auth/logout",
    "GET /health",
    "GET /ready",
    # Its own tokens (an existing product's): tests/chat/test_chat_api.py.
    "POST /api/v1/chat/",
}

BY_KEY = {c.key: c for c in CASES}
ROLES_BELOW = {Role.owner: Role.admin, Role.admin: Role.analyst, Role.analyst: Role.viewer}


def path_params(w: W, other: W | None = None) -> dict[str, str]:
    return {
        "client_id": str(w.client.id),
        "account_id": str(w.accounts[0].id),
        "post_id": str(w.posts[0].id),
        "metric_id": str(w.metrics[0].id),
        "user_id": str(w.extra_user.id),
        "key_id": str(w.api_key.id),
        "tenant_id": str((other or w).tenant.id),
        "version_id": "latest",
        "model_id": "latest",
        "question": "q7",
        "job_id": str(w.job.id),
        "run_id": str(w.run.id),
        "agent_id": str(w.agents[0].id),
        "conversation_id": str(w.conversations[0].id),
        "document_id": str(w.documents[0].id),
        "version": "1",
    }


PATH_PARAMS = frozenset(
    {
        "client_id",
        "account_id",
        "post_id",
        "metric_id",
        "user_id",
        "key_id",
        "tenant_id",
        "version_id",
        "model_id",
        "question",
        "job_id",
        "run_id",
        "agent_id",
        "conversation_id",
        "document_id",
        "version",
    }
)


def url(case: Case, w: W, other: W | None = None) -> str:
    return case.path.format(**path_params(w, other))


async def audit_count(session: AsyncSession, w: W) -> int:
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.tenant_id == w.tenant.id)
    return int((await session.execute(query)).scalar_one())


def test_every_route_is_in_the_table(app: Any) -> None:
    routes = {
        f"{method.upper()} {path}" for path, ops in app.openapi()["paths"].items() for method in ops
    }
    missing = routes - set(BY_KEY) - PUBLIC
    assert not missing, f"routes without a test case: {sorted(missing)}"
    assert not (set(BY_KEY) - routes), "table lists routes that no longer exist"


CASE_IDS = [c.key for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
async def test_no_credentials_is_401(case: Case, client: httpx.AsyncClient, tenant_a: W) -> None:
    r = await client.request(case.method, url(case, tenant_a), **case.valid(tenant_a))
    body = assert_problem(r, 401)
    assert r.headers.get("www-authenticate") == "Bearer"
    assert body["type"].endswith("/unauthorized")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
async def test_garbage_token_is_401(case: Case, client: httpx.AsyncClient, tenant_a: W) -> None:
    r = await client.request(
        case.method,
        url(case, tenant_a),
        headers={"Authorization": "Bearer not.a.jwt"},
        **case.valid(tenant_a),
    )
    assert_problem(r, 401)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.role != Role.viewer or c.superuser], ids=lambda c: c.key
)
async def test_role_below_minimum_is_403(
    case: Case, client: httpx.AsyncClient, session: AsyncSession, tenant_a: W
) -> None:
    role = Role.owner if case.superuser else ROLES_BELOW[case.role]
    before = await audit_count(session, tenant_a)
    r = await client.request(
        case.method, url(case, tenant_a), headers=tenant_a.headers(role), **case.valid(tenant_a)
    )
    assert_problem(r, 403)
    assert await audit_count(session, tenant_a) == before


@pytest.mark.parametrize(
    "case", [c for c in CASES if "{" in c.path and not c.superuser], ids=lambda c: c.key
)
async def test_other_tenants_ids_are_404(
    case: Case, client: httpx.AsyncClient, session: AsyncSession, tenant_a: W, tenant_b: W
) -> None:
    before = await audit_count(session, tenant_b)
    r = await client.request(
        case.method,
        url(case, tenant_b),
        headers=tenant_a.headers(Role.owner),
        **case.valid(tenant_a),
    )
    body = assert_problem(r, 404)
    # Nothing of B leaks: not its name, not its ids.
    assert tenant_b.client.name not in r.text
    assert str(tenant_b.tenant.id) not in r.text
    assert body["detail"].endswith("not found")
    assert await audit_count(session, tenant_b) == before


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
async def test_valid_call(
    case: Case, client: httpx.AsyncClient, session: AsyncSession, tenant_a: W, tenant_b: W
) -> None:
    if case.superuser:
        tenant_a.users[Role.owner].is_superuser = True
        await session.flush()
    before = await audit_count(session, tenant_b if case.superuser else tenant_a)
    r = await client.request(
        case.method,
        url(case, tenant_a, tenant_b),
        headers=tenant_a.headers(case.role if not case.superuser else Role.owner),
        **case.valid(tenant_a),
    )
    assert r.status_code == case.ok, r.text
    if case.writes or (case.superuser and case.method != "GET"):
        after = await audit_count(session, tenant_b if case.superuser else tenant_a)
        assert after > before, "a write must be recorded in the audit log"
    if case.lists:
        body = r.json()
        assert set(body) == {"items", "total", "limit", "offset"}
        ids = {item["id"] for item in body["items"]}
        own = getattr(tenant_a, case.lists)
        own_ids = (
            {str(o.id) for o in own.values()} | {str(tenant_a.extra_user.id)}
            if isinstance(own, dict)
            else {str(o.id) for o in (own if isinstance(own, list) else [own])}
        )
        assert own_ids <= ids
        b_objects = getattr(tenant_b, case.lists)
        b_objects = (
            list(b_objects.values())
            if isinstance(b_objects, dict)
            else b_objects
            if isinstance(b_objects, list)
            else [b_objects]
        )
        assert not ({str(o.id) for o in b_objects} & ids), "another tenant's rows leaked"
        assert body["total"] == len(own_ids)


@pytest.mark.parametrize("case", [c for c in CASES if c.bad], ids=lambda c: c.key)
async def test_bad_input_is_4xx_and_changes_nothing(
    case: Case, client: httpx.AsyncClient, session: AsyncSession, tenant_a: W
) -> None:
    if case.superuser:
        tenant_a.users[Role.owner].is_superuser = True
        await session.flush()
    assert case.bad is not None
    before = await audit_count(session, tenant_a)
    role = Role.owner if case.superuser else case.role
    r = await client.request(
        case.method, url(case, tenant_a), headers=tenant_a.headers(role), **case.bad(tenant_a)
    )
    body = assert_problem(r, case.bad_status)
    assert body.get("errors") or body["detail"]
    assert await audit_count(session, tenant_a) == before


def test_paths_use_known_parameters(tenant_a: W) -> None:
    assert set(path_params(tenant_a)) == PATH_PARAMS
    for case in CASES:
        for name in re.findall(r"{(\w+)}", case.path):
            assert name in PATH_PARAMS, f"{case.key}: no fixture for {{{name}}}"
