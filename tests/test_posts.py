"""Clients, accounts and posts: filters, sorting, pagination and rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import Role
from app.posts.models import Post
from app.posts.schemas import PostOut, PostSort
from tests.factories import TenantWorld, assert_problem


def _posts(w: TenantWorld) -> str:
    return f"/api/v1/clients/{w.client.id}/posts"


async def test_post_filters(client: httpx.AsyncClient, tenant_a: TenantWorld) -> None:
    h = tenant_a.headers(Role.viewer)
    everything = (await client.get(_posts(tenant_a), headers=h)).json()
    assert everything["total"] == 6
    dates = [p["published_at"] for p in everything["items"]]
    assert dates == sorted(dates, reverse=True)  # newest first by default

    own = (await client.get(_posts(tenant_a), params={"is_own": True}, headers=h)).json()
    assert {p["external_id"] for p in own["items"]} == {"ext-0", "ext-3"}
    x_only = (await client.get(_posts(tenant_a), params={"platform": "x"}, headers=h)).json()
    assert all(p["platform"] == "x" for p in x_only["items"])
    assert x_only["total"] == 3
    window = (
        await client.get(
            _posts(tenant_a),
            headers=h,
            params={"since": "2026-03-02T00:00:00Z", "until": "2026-03-04T00:00:00Z"},
        )
    ).json()
    assert {p["external_id"] for p in window["items"]} == {"ext-1", "ext-2"}
    text = (await client.get(_posts(tenant_a), params={"q": "POST 4"}, headers=h)).json()
    assert [p["external_id"] for p in text["items"]] == ["ext-4"]
    tag = (await client.get(_posts(tenant_a), params={"hashtag": "#Promo1"}, headers=h)).json()
    assert tag["total"] == 3
    wildcard = (await client.get(_posts(tenant_a), params={"q": "%"}, headers=h)).json()
    assert wildcard["total"] == 0  # LIKE wildcards are escaped


async def test_post_sort_and_pagination(client: httpx.AsyncClient, tenant_a: TenantWorld) -> None:
    h = tenant_a.headers(Role.viewer)
    seen: list[str] = []
    for offset in (0, 2, 4):
        page = (
            await client.get(
                _posts(tenant_a), headers=h, params={"sort": "-likes", "limit": 2, "offset": offset}
            )
        ).json()
        assert page["total"] == 6
        assert page["limit"] == 2
        assert page["offset"] == offset
        seen += [p["external_id"] for p in page["items"]]
    assert seen == [f"ext-{i}" for i in range(5, -1, -1)]


@pytest.mark.parametrize("sort", get_args(PostSort))
async def test_every_sort_key_orders_by_its_field_then_the_id(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld, sort: str
) -> None:
    """The sort parameter's values are the ORDER BY's keys (one definition, PostSort)."""
    for post in tenant_a.posts[:3]:  # ties on every field: the id decides
        post.likes = post.comments = post.shares = post.views = 7
        post.published_at = tenant_a.posts[3].published_at
    await session.flush()
    items = (
        await client.get(
            _posts(tenant_a), headers=tenant_a.headers(Role.viewer), params={"sort": sort}
        )
    ).json()["items"]
    name = sort.removeprefix("-")
    keys = [(item[name], item["id"]) for item in items]
    assert keys == sorted(keys, reverse=sort.startswith("-"))
    assert len(items) == 6


async def test_post_filters_reject_bad_values_in_query(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    h = tenant_a.headers(Role.viewer)
    for params, field in (
        ({"platform": "myspace"}, "platform"),
        ({"is_own": "maybe"}, "is_own"),
        ({"since": "yesterday"}, "since"),
        ({"language": "Spanish"}, "language"),
        ({"sort": "text"}, "sort"),
        ({"q": "x" * 201}, "q"),
    ):
        r = await client.get(_posts(tenant_a), params=params, headers=h)
        body = assert_problem(r, 422)
        assert ["query", field] in [e["loc"] for e in body["errors"]], body
    both = await client.get(
        _posts(tenant_a), params=[("platform", "instagram"), ("platform", "x")], headers=h
    )
    assert {p["platform"] for p in both.json()["items"]} == {"x"}  # the last value counts
    ignored = await client.get(_posts(tenant_a), params={"unknown": "1"}, headers=h)
    assert ignored.json()["total"] == 6


async def test_list_items_are_the_posts_as_read_one_by_one(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    """The list renders each post from its row with orjson; that must equal what the
    single-post read (Pydantic) writes, field for field: times with and without
    microseconds, enrichment (JSON object, arrays, floats) and nulls."""
    posts = (
        (await session.execute(select(Post).where(Post.client_id == tenant_a.client.id)))
        .scalars()
        .all()
    )
    posts[0].published_at = datetime(2026, 3, 1, 9, 30, 15, 120000, tzinfo=UTC)
    posts[1].sentiment_label = "negative"
    posts[1].sentiment_score = -0.8125
    posts[1].emotion_label = "anger"
    posts[1].emotion_scores = {"anger": 0.6, "disgust": 0.3, "neutral": 0.1}
    posts[1].topics = ["precio / tarifa", "app"]
    posts[1].frames = ["conflict"]
    posts[1].enriched_at = datetime(2026, 3, 5, tzinfo=UTC)
    await session.flush()
    h = tenant_a.headers(Role.viewer)
    page = (await client.get(_posts(tenant_a), headers=h, params={"sort": "published_at"})).json()
    assert page["total"] == len(posts) == len(page["items"])
    for item in page["items"]:
        one = (await client.get(f"{_posts(tenant_a)}/{item['id']}", headers=h)).json()
        assert item == one
        # The list's keys are PostOut's fields, in its order (what Pydantic writes).
        assert list(item) == list(PostOut.model_fields)
        PostOut.model_validate(item)
    by_id = {item["id"]: item for item in page["items"]}
    assert by_id[str(posts[0].id)]["published_at"] == "2026-03-01T09:30:15.120000Z"
    assert by_id[str(posts[1].id)]["emotion_scores"] == {
        "anger": 0.6,
        "disgust": 0.3,
        "neutral": 0.1,
    }
    assert by_id[str(posts[1].id)]["sentiment_score"] == -0.8125
    dates = [datetime.fromisoformat(item["published_at"]) for item in page["items"]]
    assert dates == sorted(dates)


async def test_create_post_extracts_tags_and_rejects_foreign_account(
    client: httpx.AsyncClient, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    h = tenant_a.headers(Role.analyst)
    body = {
        "account_id": str(tenant_a.accounts[1].id),
        "external_id": "n1",
        "author_handle": "@ana",
        "text": "Gracias @BancoX por la ayuda #Servicio #servicio",
        "published_at": "2026-03-20T15:00:00-05:00",
        "content_type": "reel",
    }
    r = await client.post(_posts(tenant_a), json=body, headers=h)
    assert r.status_code == 201, r.text
    post = r.json()
    assert (post["hashtags"], post["mentions"]) == (["servicio"], ["bancox"])
    assert post["platform"] == "instagram"
    assert post["author_handle"] == "ana"
    assert post["published_at"] == "2026-03-20T20:00:00Z"
    assert_problem(await client.post(_posts(tenant_a), json=body, headers=h), 409)
    foreign = {**body, "external_id": "n2", "account_id": str(tenant_b.accounts[0].id)}
    assert_problem(await client.post(_posts(tenant_a), json=foreign, headers=h), 422)


async def test_competitors_are_objects_a_name_alone_included(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    h = tenant_a.headers(Role.analyst)
    body = {
        "name": "Banco Norte",
        "aliases": ["Norte", "BancoNorte"],
        "competitors": [
            "Interbank",
            {"name": "BCP", "handles": ["@bcp_peru"], "aliases": ["ViaBCP"]},
        ],
    }
    r = await client.post("/api/v1/clients", json=body, headers=h)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["aliases"] == ["Norte", "BancoNorte"]
    assert created["competitors"] == [
        {"name": "Interbank", "handles": [], "aliases": []},
        {"name": "BCP", "handles": ["bcp_peru"], "aliases": ["ViaBCP"]},
    ]
    got = (await client.get(f"/api/v1/clients/{created['id']}", headers=h)).json()
    assert got["competitors"] == created["competitors"]
    bad = {"competitors": [{"name": "BCP", "handles": ["not a handle"]}]}
    assert_problem(await client.patch(f"/api/v1/clients/{created['id']}", json=bad, headers=h), 422)
    r = await client.patch(
        f"/api/v1/clients/{created['id']}", json={"competitors": None}, headers=h
    )
    assert r.json()["competitors"] == []
    assert r.json()["aliases"] == ["Norte", "BancoNorte"]


async def test_client_crud_and_cascade(client: httpx.AsyncClient, tenant_a: TenantWorld) -> None:
    h = tenant_a.headers(Role.analyst)
    r = await client.post(
        "/api/v1/clients",
        json={
            "name": "Andes Café",
            "country": "co",
            "competitors": ["Juan Valdez"],
            "website": "https://andes.example",
        },
        headers=h,
    )
    assert r.status_code == 201
    created = r.json()
    assert created["country"] == "CO"
    assert created["language"] == "es"
    assert_problem(
        await client.post("/api/v1/clients", json={"name": "Andes Café"}, headers=h), 409
    )
    listed = (await client.get("/api/v1/clients", params={"q": "andes"}, headers=h)).json()
    assert [c["name"] for c in listed["items"]] == ["Andes Café"]
    acc = await client.post(
        f"/api/v1/clients/{created['id']}/accounts",
        json={"platform": "x", "handle": "andes"},
        headers=h,
    )
    assert acc.status_code == 201
    assert_problem(
        await client.post(
            f"/api/v1/clients/{created['id']}/accounts",
            json={"platform": "x", "handle": "andes"},
            headers=h,
        ),
        409,
    )
    assert (await client.delete(f"/api/v1/clients/{created['id']}", headers=h)).status_code == 204
    assert_problem(
        await client.get(f"/api/v1/clients/{created['id']}/accounts/{acc.json()['id']}", headers=h),
        404,
    )
