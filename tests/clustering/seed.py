"""Clustering data for tests, and a route-matrix seed (see tests/forecasting/seed.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from app.clustering import service
from app.clustering.models import PostClusterModel
from app.posts.models import Post
from tests.factories import TenantWorld
from tests.forecasting.seed import SeedFirst, analyst

# Three engagement profiles, per 1,000 followers: (likes, comments, shares, views).
VIRAL = (50.0, 5.0, 400.0, 5000.0)
TALKY = (5.0, 80.0, 1.0, 1000.0)
QUIET = (2.0, 0.2, 0.1, 100.0)
PROFILES_START = datetime(2026, 5, 1, 9, tzinfo=UTC)


async def add_profile_posts(
    session: AsyncSession,
    w: TenantWorld,
    profiles: Sequence[tuple[tuple[float, float, float, float], float, int]],
    start: datetime = PROFILES_START,
    seed: int = 7,
) -> list[list[Post]]:
    """For each (rates per 1k, followers, count): that many posts with jittered figures."""
    rng = np.random.default_rng(seed)
    groups: list[list[Post]] = []
    n = 0
    for rates, followers, count in profiles:
        group = []
        for _ in range(count):
            audience = followers * rng.uniform(0.8, 1.25)
            counts = [round(r * rng.uniform(0.85, 1.15) * audience / 1000) for r in rates]
            account = w.accounts[n % 2]
            group.append(
                Post(
                    tenant_id=w.tenant.id,
                    client_id=w.client.id,
                    account_id=account.id,
                    platform=account.platform,
                    external_id=f"profile-{n}",
                    author_handle=f"author{n}",
                    author_followers=round(audience),
                    text=f"profile post {n}",
                    published_at=start + timedelta(hours=n),
                    likes=counts[0],
                    comments=counts[1],
                    shares=counts[2],
                    views=counts[3],
                    reach=0,
                )
            )
            n += 1
        session.add_all(group)
        groups.append(group)
    await session.flush()
    return groups


async def add_cluster_model(session: AsyncSession, w: TenantWorld) -> PostClusterModel:
    """A clustering of the world's six posts (k = 2, the only k six posts allow)."""
    fit = service.fit_rows(w.posts, None)  # type: ignore[arg-type]
    return await service.store_model(
        session, analyst(w), w.client.id, fit, [p.id for p in w.posts], {"k": None}
    )


async def _cluster_model(session: AsyncSession, w: TenantWorld) -> None:
    await add_cluster_model(session, w)


def with_cluster_model(w: TenantWorld) -> SeedFirst:
    return SeedFirst(w, _cluster_model)
