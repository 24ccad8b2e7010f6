"""Engagement clustering through the API on real PostgreSQL: three well-separated
profiles come back as three clusters of the right sizes and names, new posts are placed
in the expected cluster, too few posts is a 422, other tenants see nothing, and every
training is audited."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.clustering import service
from app.clustering.models import PostClusterAssignment, PostClusterModel
from app.core.enums import Role
from app.core.errors import Conflict
from app.tenants.models import AuditEvent
from tests.clustering.seed import QUIET, TALKY, VIRAL, add_profile_posts
from tests.factories import TenantWorld, assert_problem
from tests.forecasting.seed import analyst

WINDOW = {"since": "2026-05-01T00:00:00Z", "until": "2026-06-01T00:00:00Z"}


def _url(w: TenantWorld, tail: str = "") -> str:
    return f"/api/v1/clients/{w.client.id}/post-clusters{tail}"


async def _three_profiles(session: AsyncSession, w: TenantWorld) -> list[set[str]]:
    groups = await add_profile_posts(
        session, w, [(VIRAL, 2000, 12), (TALKY, 5000, 9), (QUIET, 10000, 6)]
    )
    return [{str(p.id) for p in g} for g in groups]


async def test_three_profiles_give_three_named_clusters(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    viral, talky, quiet = await _three_profiles(session, tenant_a)
    r = await client.post(_url(tenant_a), json=WINDOW, headers=tenant_a.headers(Role.analyst))
    assert r.status_code == 201, r.text
    model = r.json()
    assert (model["version"], model["k"], model["k_selection"]) == (1, 3, "silhouette")
    assert model["n_posts"] == 27  # the world's six March posts are outside the window
    assert model["silhouette"] > 0.8
    assert model["silhouette"] == max(model["parameters"]["silhouette_by_k"].values())
    assert set(model["parameters"]["silhouette_by_k"]) == {str(k) for k in range(2, 9)}
    clusters = model["clusters"]
    assert [c["size"] for c in clusters] == [12, 9, 6]
    assert [c["share"] for c in clusters] == pytest.approx([12 / 27, 9 / 27, 6 / 27])
    assert clusters[0]["name"] == "viral shares"
    assert clusters[1]["name"].startswith("high comments")
    assert "low likes" in clusters[1]["name"]
    assert clusters[2]["name"] == "low engagement"
    # Centroids in original units: close to the generating rates per 1,000 followers.
    for cluster, rates in zip(clusters, (VIRAL, TALKY, QUIET), strict=True):
        per_1k = cluster["centroid_per_1k"]
        assert per_1k["shares"] == pytest.approx(rates[2], rel=0.25, abs=0.5)
        assert per_1k["comments"] == pytest.approx(rates[1], rel=0.25, abs=0.5)

    h = tenant_a.headers(Role.viewer)
    for index, expected in enumerate((viral, talky, quiet)):
        page = (
            await client.get(_url(tenant_a, "/latest/posts"), params={"cluster": index}, headers=h)
        ).json()
        assert page["total"] == len(expected)
        assert {p["post_id"] for p in page["items"]} == expected
        distances = [p["distance"] for p in page["items"]]
        assert distances == sorted(distances)  # most typical first
        assert {p["cluster_name"] for p in page["items"]} == {clusters[index]["name"]}
    first = (
        await client.get(_url(tenant_a, f"/{model['id']}/posts"), params={"limit": 5}, headers=h)
    ).json()
    assert (first["total"], len(first["items"])) == (27, 5)

    viral_post = {
        "likes": 100,
        "comments": 10,
        "shares": 800,
        "views": 10000,
        "author_followers": 2000,
    }
    quiet_post = {"likes": 30, "comments": 2, "shares": 1, "views": 1500, "reach": 15000}
    talky_post = {
        "likes": 20,
        "comments": 400,
        "shares": 5,
        "views": 5000,
        "author_followers": 5000,
    }
    for body, expected_cluster in ((viral_post, 0), (talky_post, 1), (quiet_post, 2)):
        r = await client.post(_url(tenant_a, "/latest/assign"), json=body, headers=h)
        assert r.status_code == 200, r.text
        placed = r.json()
        assert placed["cluster"] == expected_cluster
        assert placed["name"] == clusters[expected_cluster]["name"]
        assert next(d["cluster"] for d in placed["distances"]) == expected_cluster
        assert len(placed["distances"]) == 3
    assert placed["per_1k"]["views"] == pytest.approx(100.0)  # reach used when no followers

    events = await session.execute(
        select(AuditEvent).where(
            AuditEvent.tenant_id == tenant_a.tenant.id, AuditEvent.action == "post_clusters.train"
        )
    )
    (event,) = events.scalars()
    assert event.resource_id == model["id"]
    assert event.details["k"] == 3


async def test_given_k_and_versions(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    await _three_profiles(session, tenant_a)
    h = tenant_a.headers(Role.analyst)
    r = await client.post(_url(tenant_a), json={**WINDOW, "k": 2}, headers=h)
    assert r.status_code == 201, r.text
    first_id = r.json()["id"]
    assert (r.json()["k"], r.json()["k_selection"]) == (2, "given")
    assert sum(c["size"] for c in r.json()["clusters"]) == 27
    r = await client.post(_url(tenant_a), json={"platforms": ["x"]}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["filters"]["platforms"] == ["x"]
    assert r.json()["n_posts"] == 14 + 3  # every other profile post, and 3 of the world's
    page = (await client.get(_url(tenant_a), headers=h)).json()
    assert [m["version"] for m in page["items"]] == [2, 1]
    assert page["total"] == 2
    body = assert_problem(
        await client.get(_url(tenant_a, f"/{first_id}/posts"), params={"cluster": 2}, headers=h),
        422,
    )
    assert "clusters 0..1" in body["detail"]


async def test_too_few_posts_is_422_and_stores_nothing(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    h = tenant_a.headers(Role.analyst)
    # The world has 6 posts: enough for k=2, not for k=3.
    body = assert_problem(await client.post(_url(tenant_a), json={"k": 3}, headers=h), 422)
    assert "at least 9 posts" in body["detail"]
    window = {"since": "2026-03-01T00:00:00Z", "until": "2026-03-04T00:00:00Z"}
    body = assert_problem(await client.post(_url(tenant_a), json=window, headers=h), 422)
    assert "at least 6 posts" in body["detail"]
    bad_window = {"since": "2026-03-04T00:00:00Z", "until": "2026-03-01T00:00:00Z"}
    assert_problem(await client.post(_url(tenant_a), json=bad_window, headers=h), 422)
    assert_problem(await client.post(_url(tenant_a), json={"k": 13}, headers=h), 422)
    count = await session.execute(
        select(func.count())
        .select_from(PostClusterModel)
        .where(PostClusterModel.tenant_id == tenant_a.tenant.id)
    )
    assert count.scalar_one() == 0
    assert_problem(await client.get(_url(tenant_a, "/latest"), headers=h), 404)


async def test_assign_needs_an_audience(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    r = await client.post(_url(tenant_a), headers=tenant_a.headers(Role.analyst))
    assert r.status_code == 201, r.text
    body = assert_problem(
        await client.post(
            _url(tenant_a, "/latest/assign"), json={"likes": 5}, headers=tenant_a.headers()
        ),
        422,
    )
    assert "author_followers or reach" in body["detail"]


async def test_deleting_a_post_removes_its_assignments(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    model = (await client.post(_url(tenant_a), headers=tenant_a.headers(Role.analyst))).json()
    post = tenant_a.posts[1]
    r = await client.delete(
        f"/api/v1/clients/{tenant_a.client.id}/posts/{post.id}", headers=tenant_a.headers()
    )
    assert r.status_code == 204
    left = await session.execute(
        select(func.count())
        .select_from(PostClusterAssignment)
        .where(PostClusterAssignment.model_id == model["id"])
    )
    assert left.scalar_one() == 5


async def test_other_tenants_clusters_are_invisible(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    model = (await client.post(_url(tenant_a), headers=tenant_a.headers(Role.analyst))).json()
    b = tenant_b.headers(Role.owner)
    assert_problem(await client.get(_url(tenant_a, f"/{model['id']}"), headers=b), 404)
    assert_problem(await client.get(_url(tenant_a), headers=b), 404)
    for tail in (f"/{model['id']}", f"/{model['id']}/posts", "/latest"):
        assert_problem(await client.get(_url(tenant_b, tail), headers=b), 404)
    assert_problem(
        await client.post(
            _url(tenant_b, f"/{model['id']}/assign"), json={"likes": 1, "reach": 10}, headers=b
        ),
        404,
    )
    assert (await client.get(_url(tenant_b), headers=b)).json()["total"] == 0


async def test_a_post_deleted_while_clustering_is_a_conflict(
    session: AsyncSession, tenant_a: TenantWorld
) -> None:
    fit = service.fit_rows(tenant_a.posts, None)  # type: ignore[arg-type]
    ids = [p.id for p in tenant_a.posts]
    ids[3] = uuid.uuid4()  # as if deleted between the read and the write
    with pytest.raises(Conflict):
        async with session.begin_nested():
            await service.store_model(session, analyst(tenant_a), tenant_a.client.id, fit, ids, {})
    count = await session.execute(
        select(func.count())
        .select_from(PostClusterModel)
        .where(PostClusterModel.tenant_id == tenant_a.tenant.id)
    )
    assert count.scalar_one() == 0
