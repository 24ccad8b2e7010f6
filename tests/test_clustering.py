"""Engagement clustering through the API on real PostgreSQL: three well-separated
profiles come back as three clusters of the right sizes and names, new posts are placed
in the expected cluster, too few posts is a 422, other tenants see nothing, and every
training is audited. Retweets (cut short by X too) and copies count once and take no
engagement credit; names are distinct, in the tenant's language (also on the real BBVA
tweets, when ../shared/data is there)."""

from __future__ import annotations

import csv
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.ai.local.text import copy_sources, retweet_of
from app.clustering import service
from app.clustering.models import PostClusterAssignment, PostClusterModel
from app.core.enums import Role
from app.core.errors import Conflict
from app.posts.models import Post
from app.tenants.models import AuditEvent
from tests.clustering.seed import PROFILES_START, QUIET, TALKY, VIRAL, add_profile_posts
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
    assert (model["n_clustered"], model["retweets"], model["duplicates"]) == (27, 0, 0)
    clusters = model["clusters"]
    assert [c["size"] for c in clusters] == [12, 9, 6]
    assert [c["distinct"] for c in clusters] == [12, 9, 6]
    assert [c["share"] for c in clusters] == pytest.approx([12 / 27, 9 / 27, 6 / 27])
    # Named in the tenant's language (Spanish by default) by what sets each apart.
    assert clusters[0]["name"].startswith("muchos compartidos")
    assert clusters[1]["name"].startswith("muchos comentarios")
    assert "pocos" in clusters[1]["name"]
    assert clusters[2]["name"] == "baja interacción"
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


RETWEETED = "¡Gran sorteo! Gana un viaje pagando con tu tarjeta https://t.co/x1"


def _post(w: TenantWorld, n: int, text: str, author: str = "", **figures: object) -> Post:
    account = w.accounts[n % 2]
    return Post(
        tenant_id=w.tenant.id,
        client_id=w.client.id,
        account_id=account.id,
        platform=account.platform,
        external_id=f"copy-{n}",
        author_handle=author or f"fan{n}",
        text=text,
        published_at=PROFILES_START + timedelta(days=3, minutes=n),
        **figures,
    )


async def _profiles_and_retweets(session: AsyncSession, w: TenantWorld) -> dict[str, set[str]]:
    """27 profile posts, 40 retweets of a viral text whose original is not in the window
    (each carrying the original's 9,000 shares, as X reports them; 5 of them flagged
    `is_retweet` with the bare text), and an own post copied 6 times (4 retweets, 2
    identical texts without engagement)."""
    viral, talky, quiet = await add_profile_posts(
        session, w, [(VIRAL, 2000, 9), (TALKY, 5000, 8), (QUIET, 10000, 10)]
    )
    retweets = [
        _post(
            w,
            i,
            f"RT @famosa: {RETWEETED}" if i >= 5 else RETWEETED,
            is_retweet=i < 5,
            author_followers=200 + 10 * i,
            shares=9000,
        )
        for i in range(40)
    ]
    launch = "Nueva app BBVA: abre tu cuenta en minutos"
    original = _post(
        w, 100, launch, author_followers=2000, likes=100, comments=10, shares=800, views=10000
    )
    copies = [_post(w, 101 + i, f"RT @brandA: {launch}", shares=800) for i in range(4)]
    copies += [_post(w, 105 + i, launch.upper(), author_followers=50) for i in range(2)]
    session.add_all([*retweets, original, *copies])
    await session.flush()

    def ids(posts: list[Post]) -> set[str]:
        return {str(p.id) for p in posts}

    return {
        "viral": ids(viral),
        "talky": ids(talky),
        "quiet": ids(quiet),
        "retweets": ids(retweets),
        "original": ids([original]),
        "copies": ids(copies),
    }


async def _cluster_pages(
    client: httpx.AsyncClient, w: TenantWorld, k: int
) -> list[list[dict[str, object]]]:
    pages = []
    for index in range(k):
        r = await client.get(
            _url(w, "/latest/posts"), params={"cluster": index, "limit": 200}, headers=w.headers()
        )
        assert r.status_code == 200, r.text
        pages.append(r.json()["items"])
    return pages


async def test_retweets_of_one_viral_text_make_no_cluster(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    groups = await _profiles_and_retweets(session, tenant_a)
    r = await client.post(_url(tenant_a), json=WINDOW, headers=tenant_a.headers(Role.analyst))
    assert r.status_code == 201, r.text
    model = r.json()
    assert model["n_posts"] == 27 + 40 + 7
    # One item per original text; the retweeted text, known only from retweets, is placed.
    assert model["n_clustered"] == 27 + 1
    assert (model["retweets"], model["duplicates"]) == (44, 2)
    pages = await _cluster_pages(client, tenant_a, model["k"])
    assert sum(len(p) for p in pages) == model["n_posts"]  # every post is listed
    where = {str(p["post_id"]): i for i, page in enumerate(pages) for p in page}
    # The retweets make no cluster of their own: they sit, all together, with the posts
    # that earned no more than they did (the quiet ones), and their cluster is not viral.
    (home,) = {where[i] for i in groups["retweets"]}
    assert {where[i] for i in groups["quiet"]} == {home}
    assert all(any(not p["is_retweet"] for p in page) for page in pages)
    cluster = model["clusters"][home]
    assert cluster["retweets"] == 40
    assert cluster["distinct"] == 11
    assert cluster["mean_counts"]["shares"] < 5  # no retweeter credited with 9,000 shares
    assert cluster["profile"]["shares"] < 0
    assert "compartidos" not in cluster["name"] or "pocos" in cluster["name"]
    # The own post's copies follow it, with its distance.
    (launch,) = {where[i] for i in groups["original"]}
    assert {where[i] for i in groups["copies"]} == {launch}
    assert {where[i] for i in groups["viral"]} == {launch}
    distances = {
        p["distance"]
        for p in pages[launch]
        if str(p["post_id"]) in groups["copies"] | groups["original"]
    }
    assert len(distances) == 1
    names = [c["name"] for c in model["clusters"]]
    assert len(set(names)) == len(names)


LAUNCH = (
    "Nueva app BBVA: abre tu cuenta en cinco minutos desde tu celular, sin ir a la agencia "
    "y con transferencias gratis a otros bancos https://t.co/a1"
)


async def test_a_retweet_cut_short_follows_its_original(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    """The training reads each post's author, so a retweet X cut short is a copy of its
    author's original: clustered once with it, listed in its cluster at its distance."""
    await add_profile_posts(
        session, tenant_a, [(VIRAL, 2000, 9), (TALKY, 5000, 8), (QUIET, 10000, 10)]
    )
    original = _post(
        tenant_a, 200, LAUNCH, "bbva_peru",
        author_followers=2000, likes=100, comments=10, shares=800, views=10000,
    )  # fmt: skip
    # X's cut: the first words and "…" (or "..."), the original's counts on the row.
    cuts = [f"RT @bbva_peru: {LAUNCH[: 70 + 10 * i]}{'…' if i % 2 else '...'}" for i in range(5)]
    cut = [
        _post(tenant_a, 201 + i, text, f"fan{i}", author_followers=50, shares=800)
        for i, text in enumerate(cuts)
    ]
    session.add_all([original, *cut])
    await session.flush()
    r = await client.post(_url(tenant_a), json=WINDOW, headers=tenant_a.headers(Role.analyst))
    assert r.status_code == 201, r.text
    model = r.json()
    assert model["n_posts"] == 27 + 6
    assert model["n_clustered"] == 27 + 1  # the cut retweets are not texts of their own
    assert (model["retweets"], model["duplicates"]) == (5, 0)
    pages = await _cluster_pages(client, tenant_a, model["k"])
    listed = {p["post_id"]: (i, p["distance"]) for i, page in enumerate(pages) for p in page}
    home = listed[str(original.id)]
    assert {listed[str(p.id)] for p in cut} == {home}  # its cluster, its distance


# Two liked profiles, both far above the quiet one in likes alone (the old names:
# "high likes" and "high likes (2)").
VERY_LIKED = (300.0, 0.0, 0.0, 0.0)
LIKED = (100.0, 0.0, 0.0, 0.0)
UNLIKED = (2.0, 0.0, 0.0, 0.0)


async def test_clusters_sharing_their_top_feature_get_distinct_names(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    await add_profile_posts(
        session, tenant_a, [(VERY_LIKED, 2000, 8), (LIKED, 2000, 8), (UNLIKED, 2000, 16)]
    )
    for language in ("en", "es"):
        r = await client.patch(
            "/api/v1/tenant", json={"language": language}, headers=tenant_a.headers(Role.owner)
        )
        assert r.status_code == 200, r.text
        r = await client.post(
            _url(tenant_a), json={**WINDOW, "k": 3}, headers=tenant_a.headers(Role.analyst)
        )
        assert r.status_code == 201, r.text
        clusters = r.json()["clusters"]
        assert [c["size"] for c in clusters] == [16, 8, 8]
        names = [c["name"] for c in clusters]
        assert len(set(names)) == 3, names
        assert not any("(" in n for n in names)
        by_likes = sorted(clusters, key=lambda c: -c["profile"]["likes"])
        liked = {"en": "likes", "es": "me gusta"}[language]
        assert all(liked in c["name"] for c in by_likes)
        very = {"en": "very high likes", "es": "muchísimos me gusta"}[language]
        assert by_likes[0]["name"] == very


BBVA = Path(__file__).resolve().parents[2] / "shared" / "data" / "posts" / "bbva_2020" / "BBVA.csv"


async def _listed(client: httpx.AsyncClient, w: TenantWorld, cluster: int) -> dict[str, bool]:
    """The posts of one cluster of the latest model: id -> is_retweet."""
    listed: dict[str, bool] = {}
    while True:
        r = await client.get(
            _url(w, "/latest/posts"),
            params={"cluster": cluster, "limit": 200, "offset": len(listed)},
            headers=w.headers(),
        )
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        listed |= {str(p["post_id"]): p["is_retweet"] for p in items}
        if len(items) < 200:
            return listed


def _bbva_posts(w: TenantWorld) -> list[Post]:
    """The BBVA tweets as posts: text, published_at, likes, retweets as shares, author."""
    posts = []
    with BBVA.open(newline="", encoding="utf-8") as f:
        for n, row in enumerate(csv.DictReader(f)):
            account = w.accounts[0]  # the x account
            posts.append(
                Post(
                    tenant_id=w.tenant.id,
                    client_id=w.client.id,
                    account_id=account.id,
                    platform=account.platform,
                    external_id=f"bbva-{n}",
                    author_handle=row["screen_Name"][:100],
                    author_followers=int(float(row["followers"] or 0)),
                    text=row["full_text"],
                    published_at=datetime.fromisoformat(row["created_at"]).replace(tzinfo=UTC),
                    likes=int(float(row["favorite_count"] or 0)),
                    shares=int(float(row["retweet_count"] or 0)),
                )
            )
    return posts


@pytest.mark.skipif(not BBVA.exists(), reason="../shared/data is not here")
async def test_bbva_tweets_give_distinct_names_and_no_retweet_cluster(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    posts = _bbva_posts(tenant_a)
    session.add_all(posts)
    await session.flush()
    window = {"since": "2020-01-01T00:00:00Z", "until": "2021-01-01T00:00:00Z"}
    r = await client.post(_url(tenant_a), json=window, headers=tenant_a.headers(Role.analyst))
    assert r.status_code == 201, r.text
    model = r.json()
    assert model["n_posts"] == len(posts)
    retweets = sum(p.text.startswith("RT @") for p in posts)
    assert model["retweets"] == retweets
    assert model["n_clustered"] < len(posts) - retweets + 1000  # copies counted once
    names = [c["name"] for c in model["clusters"]]
    assert len(set(names)) == len(names), names
    assert not any("(" in n for n in names)
    # No cluster is the retweets: each has distinct texts of its own. A retweet in a
    # cluster of many shares sits there with its original (a post that is not a retweet,
    # even when X cut the retweet short with "…"); a text known only from retweets is
    # placed where zero engagement falls, never there.
    order = sorted(posts, key=lambda p: (p.published_at, p.id))
    flags = [p.is_retweet or retweet_of(p.text) is not None for p in order]
    sources = copy_sources([p.text for p in order], [p.author_handle for p in order], flags)
    original = {str(p.id): order[i] for p, i in zip(order, sources, strict=True)}
    for index, cluster in enumerate(model["clusters"]):
        assert cluster["distinct"] > 0
        if cluster["profile"]["shares"] <= 0:
            continue
        listed = await _listed(client, tenant_a, index)
        for post_id, is_retweet in listed.items():
            if is_retweet:
                source = original[post_id]
                assert not source.is_retweet
                assert retweet_of(source.text) is None
                assert str(source.id) in listed
