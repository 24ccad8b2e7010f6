"""The posts list renders each post once per row version (app/core/rendered.py): a page
is the same bytes with or without the cache, and whatever changes a post, through the API
or not, in another transaction or in the same one, the next page shows the change."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import rendered
from app.core.config import Settings
from app.core.enums import Role
from app.core.rendered import RenderedRows
from app.main import create_app
from app.posts.repository import PostReader
from tests.factories import TenantWorld

# --- the cache alone -------------------------------------------------------------------


def test_least_recently_used_entries_go_first_within_the_byte_budget() -> None:
    unit = rendered.ENTRY_OVERHEAD
    cache = RenderedRows(max_bytes=2 * unit + 10)
    cache.put("a", b"aaaa")
    cache.put("b", b"bbbb")
    assert cache.size == 2 * unit + 8
    assert cache.get_many(["a"]) == [b"aaaa"]  # "a" is now the most recently used
    cache.put("c", b"cccc")  # over the budget: the least recently used ("b") goes
    assert cache.get_many(["a", "b", "c"]) == [b"aaaa", None, b"cccc"]
    assert cache.size == 2 * unit + 8
    cache.put("a", b"a")  # replacing an entry counts its new size only
    assert cache.size == 2 * unit + 5
    cache.put("big", b"x" * (2 * unit))  # larger than the whole budget: not kept
    assert cache.get_many(["big"]) == [None]
    assert len(cache) == 2
    cache.resize(unit + 4)
    assert cache.get_many(["a", "c"]) == [b"a", None]
    assert (cache.size, len(cache)) == (unit + 1, 1)
    cache.resize(0)
    assert not cache.enabled
    assert (cache.size, len(cache)) == (0, 0)


def test_entries_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(rendered.time, "monotonic", lambda: now[0])
    cache = RenderedRows(max_bytes=1000)
    cache.put("a", b"a")
    now[0] += rendered.TTL_SECONDS - 1
    assert cache.get_many(["a"]) == [b"a"]
    now[0] += 2
    assert cache.get_many(["a"]) == [None]


def test_each_app_has_its_own_cache_sized_by_the_settings(settings: Settings) -> None:
    sized = create_app(settings.model_copy(update={"post_list_cache_mb": 3}))
    off = create_app(settings.model_copy(update={"post_list_cache_mb": 0}))
    assert sized.state.rendered_posts.max_bytes == 3 * 2**20
    assert not off.state.rendered_posts.enabled
    assert sized.state.rendered_posts is not off.state.rendered_posts


# --- the list ---------------------------------------------------------------------------


@pytest.fixture
def cache(app: Any) -> RenderedRows:
    """The app's rendered posts (one per app, made by create_app)."""
    rendered_posts: RenderedRows = app.state.rendered_posts
    return rendered_posts


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch, cache: RenderedRows) -> Iterator[list[int]]:
    """How many posts each list request read whole and rendered."""
    counts: list[int] = []
    original = PostReader._render

    async def counting(
        self: PostReader, conn: Any, rest: str, args: list[Any]
    ) -> list[tuple[Any, bytes]]:
        out = await original(self, conn, rest, args)
        counts.append(len(out))
        return out

    monkeypatch.setattr(PostReader, "_render", counting)
    cache.clear()
    yield counts
    cache.clear()


def _posts(w: TenantWorld) -> str:
    return f"/api/v1/clients/{w.client.id}/posts"


async def test_a_page_is_rendered_once_and_is_the_same_bytes_without_the_cache(
    client: httpx.AsyncClient, tenant_a: TenantWorld, renders: list[int], cache: RenderedRows
) -> None:
    h = tenant_a.headers(Role.viewer)
    first = await client.get(_posts(tenant_a), headers=h)
    again = await client.get(_posts(tenant_a), headers=h)
    overlapping = await client.get(_posts(tenant_a), headers=h, params={"limit": 3, "offset": 2})
    assert first.status_code == again.status_code == overlapping.status_code == 200
    assert first.json()["total"] == 6
    assert renders == [6]  # the second page and the overlapping one: all from the cache
    assert again.content == first.content
    assert overlapping.json()["items"] == first.json()["items"][2:5]

    size = cache.max_bytes
    cache.resize(0)  # POST_LIST_CACHE_MB=0
    try:
        uncached = await client.get(_posts(tenant_a), headers=h)
        empty = await client.get(_posts(tenant_a), headers=h, params={"offset": 50})
    finally:
        cache.resize(size)
    assert uncached.content == first.content
    assert len(cache) == 0
    assert empty.json() == {"items": [], "total": 6, "limit": 50, "offset": 50}


async def test_every_change_of_a_post_shows_on_the_next_page(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld, renders: list[int]
) -> None:
    h = tenant_a.headers(Role.analyst)
    page = (await client.get(_posts(tenant_a), headers=h)).json()
    post_id = page["items"][0]["id"]

    def likes_of(page: dict[str, Any]) -> int:
        return next(p["likes"] for p in page["items"] if p["id"] == post_id)

    # Through the API (its own transaction; a savepoint in this test's).
    r = await client.patch(f"{_posts(tenant_a)}/{post_id}", headers=h, json={"likes": 777})
    assert r.status_code == 200, r.text
    assert likes_of((await client.get(_posts(tenant_a), headers=h)).json()) == 777
    # Around the API, twice in one transaction (same xmin: the version is also the
    # tuple's place), and without touching updated_at, as the analyses' enrichment does.
    for likes in (778, 779):
        await session.execute(
            text("UPDATE post SET likes = :likes WHERE id = :id"), {"likes": likes, "id": post_id}
        )
        assert likes_of((await client.get(_posts(tenant_a), headers=h)).json()) == likes
    assert renders == [6, 1, 1, 1]  # each change: that one post rendered again


@pytest.mark.parametrize(
    "change",
    [
        "DELETE FROM post WHERE id = $1",
        "UPDATE post SET is_own = true WHERE id = $1",  # off the page's filter
    ],
    ids=["deleted", "no-longer-matching"],
)
async def test_a_post_changed_between_the_two_reads_leaves_a_consistent_page(
    client: httpx.AsyncClient,
    tenant_a: TenantWorld,
    renders: list[int],
    cache: RenderedRows,
    monkeypatch: pytest.MonkeyPatch,
    change: str,
) -> None:
    h = tenant_a.headers(Role.viewer)
    mentions = {"is_own": False}  # 4 of the 6 posts
    ids = [
        p["id"]
        for p in (await client.get(_posts(tenant_a), headers=h, params=mentions)).json()["items"]
    ]
    assert len(ids) == 4
    cache.clear()
    counting = PostReader._render

    async def change_first(self: PostReader, conn: Any, rest: str, args: list[Any]) -> Any:
        if "unnest(" in rest:  # the second read: the first post changed just before
            await conn.execute(change, ids[0])
        return await counting(self, conn, rest, args)

    monkeypatch.setattr(PostReader, "_render", change_first)
    page = (await client.get(_posts(tenant_a), headers=h, params=mentions)).json()
    assert [p["id"] for p in page["items"]] == ids[1:]  # read again, in one statement
    assert page["total"] == 3
    assert renders[-2:] == [3, 3]  # the 4 asked for, 3 found; then the page whole
