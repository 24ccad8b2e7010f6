"""The demo tenant as the server seeds it: its clients name their competitors with the
handles the generated posts @mention, so Q11 counts those posts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analyses.questions.q11_benchmark.result import BenchmarkResult
from app.clients.models import Client
from app.clients.service import ClientProfile, CompetitorProfile
from app.core.db import Database
from app.demo import vocab
from app.demo.generator import DEMO_CLIENTS
from app.demo.seed import DEMO_EMAIL, seed_demo_tenant
from app.tenants.models import User
from tests.analyses.builders import answer, demo_posts, window_for


async def test_demo_clients_name_their_competitors_by_handle(
    database: Database, session: AsyncSession
) -> None:
    assert await seed_demo_tenant(database, force=True, posts_per_client=200)
    tenant_id = (
        await session.execute(select(User.tenant_id).where(User.email == DEMO_EMAIL))
    ).scalar_one()
    rows = (await session.execute(select(Client).where(Client.tenant_id == tenant_id))).scalars()
    stored = {row.name: row.competitors for row in rows}
    assert stored == {
        spec.name: [
            {"name": name, "handles": [vocab.COMPETITOR_HANDLES[name]]} for name in spec.competitors
        ]
        for spec in DEMO_CLIENTS
    }
    # Q11 on the bank's generated posts with the competitors as seeded: the posts that
    # name a competitor only by its @handle ("Hola, en @viabcp me ofrecen...") count.
    spec = DEMO_CLIENTS[0]
    seeded = ClientProfile(
        name=spec.name,
        industry=spec.industry,
        country=spec.country,
        language=spec.language,
        competitors=tuple(CompetitorProfile.of(c) for c in stored[spec.name]),
        handles=tuple(sorted({a.handle for a in spec.accounts})),
    )
    by_name = replace(seeded, competitors=tuple(CompetitorProfile(n) for n in spec.competitors))
    posts = demo_posts(2500, 0, days=180, end=datetime(2026, 6, 1, tzinfo=UTC))

    def mentions(profile: ClientProfile) -> dict[str, int]:
        result = answer("q11", window_for(posts, lang="es", days=180, client=profile))
        assert isinstance(result, BenchmarkResult)
        return {c.name: c.mentions for c in result.contenders if not c.is_brand}

    with_handles, names_only = mentions(seeded), mentions(by_name)
    assert all(with_handles[n] >= names_only[n] for n in spec.competitors)
    assert sum(with_handles.values()) > sum(names_only.values())
