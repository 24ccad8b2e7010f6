"""Imports a person can use (issue 11, item 10): the row schema in the OpenAPI document,
a CSV template per kind, aliases of columns and platforms, times without a zone read in
the tenant's, header problems reported once, one error shape in both modes, and columns
left out of a re-import left as they were. The real files of ../shared/data go through
the real endpoint (skipped when the data is absent)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import Role
from app.metrics.models import AccountMetric
from app.posts.models import Post
from tests.factories import TenantWorld, assert_problem

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "posts"


def _url(w: TenantWorld, kind: str = "posts") -> str:
    return f"/api/v1/clients/{w.client.id}/{kind}/import"


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode()


def _csv_headers(w: TenantWorld) -> dict[str, str]:
    return {**w.headers(Role.analyst), "Content-Type": "text/csv"}


async def _post(session: AsyncSession, w: TenantWorld, external_id: str) -> Post:
    found = await session.execute(
        select(Post).where(Post.client_id == w.client.id, Post.external_id == external_id)
    )
    post = found.scalar_one()
    await session.refresh(post)
    return post


async def test_a_raw_csv_gets_one_header_error_not_one_per_row(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    header = ["Engagement", "Sentiment", "tweet", "fecha", "screen_Name", "tema"]
    rows = [
        [1.5, "Negativo", f"hola {i}", "2020-10-01 10:00:00", "ana", "banco"] for i in range(500)
    ]
    r = await client.post(
        _url(tenant_a), content=_csv(header, rows), headers=_csv_headers(tenant_a)
    )
    body = assert_problem(r, 422)
    # One problem per column, none per row.
    assert all(e["row"] is None for e in body["errors"]), body["errors"]
    by_type: dict[str, list[str]] = {}
    for e in body["errors"]:
        by_type.setdefault(e["type"], []).append(e["field"])
    assert sorted(by_type["unknown_column"]) == ["Engagement", "Sentiment", "tema"]
    missing = by_type["missing_column"]
    assert "external_id" in missing
    assert "account" in missing
    detail = body["detail"]
    for word in ("Engagement", "external_id", "published_at", "unknown_columns=ignore", "template"):
        assert word in detail, detail
    # Partial mode cannot make a document with the wrong columns half-import either.
    r = await client.post(
        _url(tenant_a),
        params={"mode": "partial"},
        content=_csv(header, rows),
        headers=_csv_headers(tenant_a),
    )
    assert assert_problem(r, 422)["errors"] == body["errors"]


async def test_aliases_of_columns_and_platforms(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    handle = tenant_a.accounts[0].handle  # the x account
    header = [
        "tweet_id",
        "screen_name",
        "followers",
        "texto",
        "created_at",
        "retweets",
        "favorites",
        "red_social",
        "account_handle",
        "is_rt",
    ]
    rows = [
        [
            "a-1",
            "@ana",
            "120",
            "Hola @banco #app",
            "2020-10-01T10:00:00Z",
            "3",
            "7",
            "twitter",
            handle,
            "true",
        ],
        ["a-2", "luis", "5", "Otra", "2020-10-01T11:00:00Z", "0", "1", "Twitter", handle, "false"],
    ]
    r = await client.post(
        _url(tenant_a), content=_csv(header, rows), headers=_csv_headers(tenant_a)
    )
    assert r.status_code == 200, r.text
    assert (r.json()["inserted"], r.json()["failed"]) == (2, 0)
    post = await _post(session, tenant_a, "a-1")
    assert (post.platform, post.author_handle, post.author_followers) == ("x", "ana", 120)
    assert (post.shares, post.likes, post.is_retweet) == (3, 7, True)
    assert post.mentions == ["banco"]
    assert post.hashtags == ["app"]
    # A JSON row names the platform by its alias too (the schema lists them).
    row = {
        "platform": "twitter",
        "account_handle": handle,
        "external_id": "a-3",
        "author_handle": "eva",
        "text": "Gracias",
        "published_at": "2020-10-02T10:00:00Z",
        "retweet": True,
    }
    r = await client.post(_url(tenant_a), json=[row], headers=tenant_a.headers(Role.analyst))
    assert r.status_code == 200, r.text
    assert (await _post(session, tenant_a, "a-3")).is_retweet is True


async def test_times_without_a_zone_are_read_in_the_tenant_zone(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    handle = tenant_a.accounts[0].handle
    header = ["platform", "account_handle", "id", "user", "text", "date"]
    rows = [
        ["x", handle, "t-1", "ana", "uno", "2020-10-01 08:00:00"],
        ["x", handle, "t-2", "ana", "dos", "2020-10-01T08:00"],
        ["x", handle, "t-3", "ana", "tres", "2020-10-01T08:00:00-03:00"],
    ]
    r = await client.post(
        _url(tenant_a), content=_csv(header, rows), headers=_csv_headers(tenant_a)
    )
    assert r.status_code == 200, r.text
    notes = r.json()["notes"]
    assert any("2 times had no zone; read in America/Lima" in n for n in notes), notes
    lima_8am = datetime(2020, 10, 1, 13, tzinfo=UTC)
    assert (await _post(session, tenant_a, "t-1")).published_at == lima_8am
    assert (await _post(session, tenant_a, "t-2")).published_at == lima_8am
    assert (await _post(session, tenant_a, "t-3")).published_at == datetime(
        2020, 10, 1, 11, tzinfo=UTC
    )
    # The file's own zone may be named instead of the tenant's.
    rows = [["x", handle, "t-4", "ana", "cuatro", "2020-10-01 08:00:00"]]
    r = await client.post(
        _url(tenant_a),
        params={"timezone": "UTC"},
        content=_csv(header, rows),
        headers=_csv_headers(tenant_a),
    )
    assert r.status_code == 200, r.text
    assert any("read in UTC" in n for n in r.json()["notes"])
    assert (await _post(session, tenant_a, "t-4")).published_at == datetime(
        2020, 10, 1, 8, tzinfo=UTC
    )


async def test_one_error_shape_in_both_modes(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    handle = tenant_a.accounts[0].handle
    good = {
        "platform": "x",
        "account_handle": handle,
        "author_handle": "ana",
        "text": "hola",
        "published_at": "2020-10-01T10:00:00Z",
    }
    rows = [
        {**good, "external_id": "e-1"},
        {**good, "external_id": "e-2", "likes": "lots"},
        {**good, "external_id": "e-1"},
        {**good, "external_id": "e-4", "account_handle": "nobody"},
    ]
    headers = tenant_a.headers(Role.analyst)
    atomic = assert_problem(await client.post(_url(tenant_a), json=rows, headers=headers), 422)
    r = await client.post(_url(tenant_a), params={"mode": "partial"}, json=rows, headers=headers)
    assert r.status_code == 200, r.text
    partial = r.json()
    assert partial["errors"] == atomic["errors"]
    assert [e["row"] for e in partial["errors"]] == [2, 3, 4]
    for e in partial["errors"]:
        assert set(e) == {"row", "field", "loc", "msg", "type"}
        assert e["loc"][:2] == ["body", e["row"]]
    assert partial["errors"][0]["field"] == "likes"


async def test_a_reimport_changes_only_the_columns_it_gives(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    handle = tenant_a.accounts[0].handle
    header = ["platform", "account_handle", "external_id", "author_handle", "text", "published_at"]
    first = _csv(
        [*header, "likes", "shares", "url", "is_own"],
        [
            [
                "x",
                handle,
                "r-1",
                "ana",
                "hola",
                "2020-10-01T10:00:00Z",
                7,
                3,
                "https://x.com/a/1",
                "true",
            ]
        ],
    )
    r = await client.post(_url(tenant_a), content=first, headers=_csv_headers(tenant_a))
    assert r.json()["inserted"] == 1, r.text
    # Again without likes, url and is_own, shares left empty, and a new text.
    again = _csv(
        [*header, "shares"],
        [["x", handle, "r-1", "ana", "hola otra vez", "2020-10-01T10:00:00Z", ""]],
    )
    r = await client.post(_url(tenant_a), content=again, headers=_csv_headers(tenant_a))
    assert r.json()["updated"] == 1, r.text
    post = await _post(session, tenant_a, "r-1")
    assert post.text == "hola otra vez"
    assert (post.likes, post.shares, post.url, post.is_own) == (7, 3, "https://x.com/a/1", True)
    # JSON rows likewise: only the keys a row has.
    row = {
        "platform": "x",
        "account_handle": handle,
        "external_id": "r-1",
        "author_handle": "ana",
        "text": "hola",
        "published_at": "2020-10-01T10:00:00Z",
        "likes": 9,
    }
    r = await client.post(_url(tenant_a), json=[row], headers=tenant_a.headers(Role.analyst))
    assert r.json()["updated"] == 1, r.text
    post = await _post(session, tenant_a, "r-1")
    assert (post.likes, post.shares, post.is_own) == (9, 3, True)


@pytest.mark.parametrize("kind", ["posts", "metrics"])
async def test_the_template_downloads_and_imports_cleanly(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld, kind: str
) -> None:
    r = await client.get(_url(tenant_a, kind) + "/template", headers=tenant_a.headers(Role.viewer))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(r.text)))
    assert len(lines) == 2
    assert len(lines[0]) == len(lines[1])
    assert lines[0][:2] == ["platform", "account_handle"]
    back = await client.post(
        _url(tenant_a, kind), content=r.content, headers=_csv_headers(tenant_a)
    )
    assert back.status_code == 200, back.text
    assert (back.json()["inserted"], back.json()["failed"]) == (1, 0)
    model = Post if kind == "posts" else AccountMetric
    assert await session.execute(select(model).where(model.client_id == tenant_a.client.id))


async def test_the_openapi_import_body_is_the_row_schema(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    paths = doc["paths"]
    posts = paths["/api/v1/clients/{client_id}/posts/import"]["post"]["requestBody"]["content"]
    items = posts["application/json"]["schema"]["items"]
    props = items["properties"]
    for name in ("external_id", "text", "published_at", "likes", "is_retweet", "account_id"):
        assert name in props, name
    platforms = {v for m in props["platform"]["anyOf"] for v in m.get("enum", [])}
    assert {"x", "twitter", "instagram", "ig"} <= platforms
    # Text values (a CSV's cells) are in the schema too: a count may be written "5".
    assert "string" in {m["type"] for m in props["likes"]["anyOf"]}
    csv_doc = posts["text/csv"]
    assert "retweets" in csv_doc["schema"]["description"]
    assert "external_id" in csv_doc["schema"]["description"]
    metrics = paths["/api/v1/clients/{client_id}/metrics/import"]["post"]["requestBody"]["content"]
    assert "captured_at" in metrics["application/json"]["schema"]["items"]["properties"]
    assert "/api/v1/clients/{client_id}/posts/import/template" in paths
    assert "/api/v1/clients/{client_id}/metrics/import/template" in paths


# --- the real files ----------------------------------------------------------------------

needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is absent")


@needs_data
async def test_bbva_raw_csv_imports_with_no_row_errors(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    """The analyst's file, as downloaded: the columns it shares with a post by their
    aliases, the account of every row by the query, the rest ignored (and said so).
    Twitter's `created_at` is UTC."""
    account = tenant_a.accounts[0]  # the x account
    body = (DATA / "bbva_2020" / "BBVA.csv").read_bytes()
    r = await client.post(
        _url(tenant_a),
        params={"account_id": str(account.id), "unknown_columns": "ignore", "timezone": "UTC"},
        content=body,
        headers=_csv_headers(tenant_a),
    )
    assert r.status_code == 200, r.text[:2000]
    result = r.json()
    assert (result["received"], result["inserted"], result["failed"]) == (6086, 6086, 0)
    notes = " ".join(result["notes"])
    assert "Engagement" in notes
    assert "verified" in notes
    post = await _post(session, tenant_a, "johnydai_2020-10-22;04:48:18_140")
    assert post.published_at == datetime(2020, 10, 22, 4, 48, 18, tzinfo=UTC)
    assert (post.author_handle, post.author_followers, post.shares) == ("johnydai", 575, 137)
    assert post.text.startswith("RT @irmoralesl:")
    assert post.is_retweet is True  # the file has no flag: the text says it is a retweet
    assert (post.platform, post.language) == ("x", "es")


@needs_data
@pytest.mark.parametrize("name", ["BarackObama", "realDonaldTrump"])
async def test_fivethirtyeight_timelines_import(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld, name: str
) -> None:
    """US dates (`10/16/17 22:59`, time_format=mdy), no id column (the url is the post's
    identity), and a file that is not UTF-8 (its charset named in the Content-Type)."""
    body = (DATA / "fivethirtyeight" / f"{name}.csv").read_bytes()
    r = await client.post(
        _url(tenant_a),
        params={
            "account_id": str(tenant_a.accounts[0].id),
            "time_format": "mdy",
            "timezone": "UTC",
        },
        content=body,
        headers={**tenant_a.headers(Role.analyst), "Content-Type": "text/csv; charset=latin-1"},
    )
    assert r.status_code == 200, r.text[:2000]
    result = r.json()
    assert result["failed"] == 0
    assert result["inserted"] == result["received"] > 1000


@needs_data
async def test_redes_csv_imports_its_rows_with_a_caption(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    """Instagram posts with Unix times; 13 of its 36 rows have no caption (no text to
    analyse): those are the only rows reported, each saying so."""
    body = (DATA / "bbva_2020" / "Redes.csv").read_bytes()
    r = await client.post(
        _url(tenant_a),
        params={
            "account_id": str(tenant_a.accounts[1].id),
            "time_format": "unix",
            "unknown_columns": "ignore",
            "mode": "partial",
        },
        content=body,
        headers=_csv_headers(tenant_a),
    )
    assert r.status_code == 200, r.text[:2000]
    result = r.json()
    assert (result["received"], result["inserted"], result["failed"]) == (36, 23, 13)
    assert {e["field"] for e in result["errors"]} == {"text"}
