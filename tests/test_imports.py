"""Bulk imports (app/core/imports.py), through the posts import: formats, per-row errors,
atomicity, upserts, size. The metrics import: tests/test_metrics.py."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import Role
from app.posts.models import Post
from tests.factories import TenantWorld, assert_problem

FIELDS = [
    "platform",
    "account_handle",
    "external_id",
    "author_handle",
    "author_followers",
    "text",
    "published_at",
    "likes",
    "comments",
    "shares",
    "views",
    "reach",
    "content_type",
    "hashtags",
    "is_own",
]


def _url(w: TenantWorld, kind: str = "posts") -> str:
    return f"/api/v1/clients/{w.client.id}/{kind}/import"


def _row(w: TenantWorld, i: int, **over: object) -> dict[str, object]:
    row: dict[str, object] = {
        "platform": "x",
        "account_handle": w.accounts[0].handle,
        "external_id": f"csv-{i}",
        "author_handle": f"fan{i % 50}",
        "author_followers": i % 1000,
        "text": f"Me encanta la app {i} #banco",
        "published_at": "2026-02-01T12:00:00Z",
        "likes": i % 97,
        "comments": 1,
        "shares": 0,
        "views": 10,
        "reach": 5,
        "content_type": "text",
        "hashtags": "banco|app",
        "is_own": "false",
    }
    row.update(over)
    return row


def _csv(rows: list[dict[str, object]], fields: list[str] = FIELDS) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()


async def _count_posts(session: AsyncSession, w: TenantWorld) -> int:
    q = select(func.count()).select_from(Post).where(Post.client_id == w.client.id)
    return int((await session.execute(q)).scalar_one())


async def test_csv_import_and_upsert(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    before = await _count_posts(session, tenant_a)
    body = _csv([_row(tenant_a, i) for i in range(10)])
    r = await client.post(
        _url(tenant_a),
        content=body,
        headers={**tenant_a.headers(Role.analyst), "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert r.json() | {"errors": []} == {
        "received": 10,
        "inserted": 10,
        "updated": 0,
        "failed": 0,
        "mode": "atomic",
        "errors": [],
        "errors_truncated": False,
        "notes": [],
    }
    assert await _count_posts(session, tenant_a) == before + 10
    # Same external ids again with new figures: updated in place, nothing duplicated.
    body = _csv([_row(tenant_a, i, likes=1000 + i) for i in range(10)])
    r = await client.post(
        _url(tenant_a),
        content=body,
        headers={**tenant_a.headers(Role.analyst), "Content-Type": "text/csv"},
    )
    assert r.json()["updated"] == 10
    assert await _count_posts(session, tenant_a) == before + 10
    likes = await session.execute(
        select(Post.likes, Post.hashtags).where(
            Post.external_id == "csv-3", Post.account_id == tenant_a.accounts[0].id
        )
    )
    assert likes.one() == (1003, ["banco", "app"])


async def test_a_retweet_written_as_one_is_flagged_when_the_row_does_not_say(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    """Rows without an is_retweet column: a text written "RT @user: ..." is stored as a
    retweet; a row that gives the flag keeps it; a re-import corrects a stored false."""
    account = tenant_a.accounts[0]
    stored = Post(
        tenant_id=tenant_a.tenant.id,
        client_id=tenant_a.client.id,
        account_id=account.id,
        platform=account.platform,
        external_id="rt-3",
        author_handle="fan3",
        text="RT @bancoandino: Nueva app, abre tu cuenta en minutos",
        published_at=datetime(2026, 2, 1, 12, tzinfo=UTC),
    )  # imported before the flag was read from the text: stored false
    session.add(stored)
    await session.flush()
    texts = [
        "RT @bancoandino: Nueva app, abre tu cuenta en minutos",
        "rt @Fan_7 Qué buena atención en la agencia",
        "Nueva app, abre tu cuenta en minutos (RT @bancoandino: no al inicio)",
        "RT @bancoandino: Nueva app, abre tu cuenta en minutos",
    ]
    body = _csv([_row(tenant_a, i, external_id=f"rt-{i}", text=t) for i, t in enumerate(texts)])
    h = tenant_a.headers(Role.analyst)
    r = await client.post(_url(tenant_a), content=body, headers={**h, "Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert (r.json()["inserted"], r.json()["updated"]) == (3, 1)
    # A row that gives the flag is taken at its word, in either format.
    given = [_row(tenant_a, 4, external_id="rt-4", text=texts[0], is_retweet="false")]
    r = await client.post(_url(tenant_a), json=given, headers=h)
    assert r.status_code == 200, r.text
    flags = await session.execute(
        select(Post.external_id, Post.is_retweet).where(
            Post.account_id == account.id, Post.external_id.like("rt-%")
        )
    )
    assert {row.external_id: row.is_retweet for row in flags} == {
        "rt-0": True,
        "rt-1": True,
        "rt-2": False,
        "rt-3": True,
        "rt-4": False,
    }


async def test_multipart_upload(client: httpx.AsyncClient, tenant_a: TenantWorld) -> None:
    files = {"file": ("posts.csv", _csv([_row(tenant_a, 1)]), "text/csv")}
    r = await client.post(_url(tenant_a), files=files, headers=tenant_a.headers(Role.analyst))
    assert r.status_code == 200, r.text
    assert r.json()["inserted"] == 1
    files = {"file": ("posts.json", json.dumps([_row(tenant_a, 2)]).encode(), "application/json")}
    r = await client.post(_url(tenant_a), files=files, headers=tenant_a.headers(Role.analyst))
    assert r.json()["inserted"] == 1
    r = await client.post(
        _url(tenant_a),
        files={"other": ("a.csv", b"x", "text/csv")},
        headers=tenant_a.headers(Role.analyst),
    )
    assert_problem(r, 422)


async def test_malformed_csv_is_rejected(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    before = await _count_posts(session, tenant_a)
    headers = {**tenant_a.headers(Role.analyst), "Content-Type": "text/csv"}
    cases = [
        b'external_id,text\n"unterminated,quote\n',  # broken quoting
        b"external_id,text\n1,a,extra,values\n",  # more values than columns
        b"",  # empty body
        b"\xff\xfe\x00garbage",  # not UTF-8
        b"a,a\n1,2\n",  # duplicate header
    ]
    for body in cases:
        r = await client.post(_url(tenant_a), content=body, headers=headers)
        assert 400 <= r.status_code < 500, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert await _count_posts(session, tenant_a) == before


async def test_malformed_json_is_rejected(client: httpx.AsyncClient, tenant_a: TenantWorld) -> None:
    headers = tenant_a.headers(Role.analyst)
    for body in [b"{}", b"[{]", b'[{"a": 1}', b"[1, 2] trailing", b"nope"]:
        r = await client.post(
            _url(tenant_a), content=body, headers={**headers, "Content-Type": "application/json"}
        )
        assert_problem(r, 422)
    r = await client.post(
        _url(tenant_a), content=b"<xml/>", headers={**headers, "Content-Type": "application/xml"}
    )
    assert_problem(r, 415)


async def test_wrong_types_and_duplicates_atomic(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    before = await _count_posts(session, tenant_a)
    rows = [_row(tenant_a, i) for i in range(5)]
    rows.append(_row(tenant_a, 99, likes="lots"))  # row 6: wrong type
    rows.append(_row(tenant_a, 2))  # row 7: duplicate of row 3
    rows.append(_row(tenant_a, 98, published_at="2026-02-30T12:00:00Z"))  # row 8: no such day
    rows.append(_row(tenant_a, 97, account_handle="nobody"))  # row 9: unknown account
    r = await client.post(_url(tenant_a), json=rows, headers=tenant_a.headers(Role.analyst))
    body = assert_problem(r, 422)
    assert "nothing was imported" in body["detail"]
    by_row = {e["loc"][1]: e for e in body["errors"]}
    assert set(by_row) == {6, 7, 8, 9}
    assert by_row[6]["loc"][2] == "likes"
    assert "Duplicate of row 3" in by_row[7]["msg"]
    assert await _count_posts(session, tenant_a) == before


async def test_partial_mode_keeps_valid_rows(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    before = await _count_posts(session, tenant_a)
    rows = [_row(tenant_a, i) for i in range(4)] + [_row(tenant_a, 50, likes=-3)]
    r = await client.post(
        _url(tenant_a),
        params={"mode": "partial"},
        json=rows,
        headers=tenant_a.headers(Role.analyst),
    )
    assert r.status_code == 200, r.text
    result = r.json()
    assert (result["received"], result["inserted"], result["failed"]) == (5, 4, 1)
    assert result["errors"][0]["row"] == 5
    assert await _count_posts(session, tenant_a) == before + 4


async def test_row_cap_is_enforced(
    client: httpx.AsyncClient, app: object, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    settings = app.state.settings  # type: ignore[attr-defined]
    original = settings.import_max_rows
    settings.import_max_rows = 3
    try:
        r = await client.post(
            _url(tenant_a),
            json=[_row(tenant_a, i) for i in range(4)],
            headers=tenant_a.headers(Role.analyst),
        )
    finally:
        settings.import_max_rows = original
    assert_problem(r, 413)


async def test_import_100k_rows(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    """The stated maximum goes through in one request (timing is measured in bench/)."""
    n = 100_000
    body = _csv([_row(tenant_a, i) for i in range(n)])
    started = time.perf_counter()
    r = await client.post(
        _url(tenant_a),
        content=body,
        headers={**tenant_a.headers(Role.analyst), "Content-Type": "text/csv"},
    )
    elapsed = time.perf_counter() - started
    assert r.status_code == 200, r.text[:500]
    assert r.json()["inserted"] == n
    assert await _count_posts(session, tenant_a) == n + len(tenant_a.posts)
    print(f"imported {n} rows in {elapsed:.1f} s")
