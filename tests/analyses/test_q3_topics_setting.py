"""The `topics` setting of a run (RunRequest.topics): Q3 finds that many topics, and the
run's params record it (so a run with another setting is not reused)."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import Role
from tests.analyses.test_q3_topics import APP, FEES, FRAUD, WINDOW, _add, _texts
from tests.factories import TenantWorld


async def test_a_run_finds_the_topics_asked_for(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    await _add(session, tenant_a, _texts(FRAUD, 30, 9) + _texts(APP, 30, 10) + _texts(FEES, 30, 11))
    h = tenant_a.headers(Role.analyst)
    url = f"/api/v1/clients/{tenant_a.client.id}/analyses/q3"
    found = {}
    for k in (2, 3):
        r = await client.post(url, json={**WINDOW, "topics": k}, headers=h)
        assert r.status_code == 201, r.text
        assert r.json()["params"]["topics"] == k
        found[k] = r.json()["result"]["k"]
    assert found == {2: 2, 3: 3}
    bad = await client.post(url, json={**WINDOW, "topics": 1}, headers=h)
    assert bad.status_code == 422
