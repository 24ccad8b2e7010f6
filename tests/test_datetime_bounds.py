"""Every datetime input of the API, with times whose conversion to UTC overflows Python's
datetime (issue 10, defect 5): a 422 that names the field, or the row of a partial import;
never a 500.

A new datetime field or filter belongs in one of the tables below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from app.core.enums import Role
from tests.factories import TenantWorld, assert_problem

# 0001-01-01 00:00 at +14:00 is 0000-12-31 10:00 UTC; 9999-12-31 23:59:59 at -14:00 is
# 10000-01-01 13:59:59 UTC: neither exists as a Python datetime.
EXTREMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]


def _post(w: TenantWorld, when: str) -> dict[str, Any]:
    return {
        "account_id": str(w.accounts[0].id),
        "external_id": "overflow-1",
        "author_handle": "someone",
        "text": "A post",
        "published_at": when,
    }


def _metric(w: TenantWorld, when: str) -> dict[str, Any]:
    return {"account_id": str(w.accounts[0].id), "captured_at": when, "followers": 10}


def _post_row(w: TenantWorld, when: str, n: int) -> dict[str, Any]:
    return {
        "platform": w.accounts[0].platform,
        "account_handle": w.accounts[0].handle,
        "external_id": f"overflow-row-{n}",
        "author_handle": "someone",
        "text": f"Row {n}",
        "published_at": when,
    }


def _metric_row(w: TenantWorld, when: str, n: int) -> dict[str, Any]:
    return {
        "platform": w.accounts[0].platform,
        "account_handle": w.accounts[0].handle,
        "captured_at": when,
        "followers": n,
    }


@dataclass(frozen=True)
class BodyInput:
    name: str
    method: str
    path: str  # formatted with the tenant's ids
    body: Any  # (world, when) -> JSON body
    loc: list[str | int]


BODY_INPUTS = [
    BodyInput(
        "post create",
        "POST",
        "/api/v1/clients/{client}/posts",
        _post,
        ["body", "published_at"],
    ),
    BodyInput(
        "post update",
        "PATCH",
        "/api/v1/clients/{client}/posts/{post}",
        lambda w, when: {"published_at": when},
        ["body", "published_at"],
    ),
    BodyInput(
        "metric create",
        "POST",
        "/api/v1/clients/{client}/metrics",
        _metric,
        ["body", "captured_at"],
    ),
    BodyInput(
        "api key expiry",
        "POST",
        "/api/v1/tenant/api-keys",
        lambda w, when: {"name": "overflow", "expires_at": when},
        ["body", "expires_at"],
    ),
    BodyInput(
        "analysis run since",
        "POST",
        "/api/v1/clients/{client}/analyses/q1",
        lambda w, when: {"since": when},
        ["body", "since"],
    ),
    BodyInput(
        "analysis run until",
        "POST",
        "/api/v1/clients/{client}/analyses/q1",
        lambda w, when: {"until": when},
        ["body", "until"],
    ),
    BodyInput(
        "analysis job since",
        "POST",
        "/api/v1/clients/{client}/analyses",
        lambda w, when: {"since": when},
        ["body", "since"],
    ),
    BodyInput(
        "analysis job until",
        "POST",
        "/api/v1/clients/{client}/analyses",
        lambda w, when: {"until": when},
        ["body", "until"],
    ),
    BodyInput(
        "clustering since",
        "POST",
        "/api/v1/clients/{client}/post-clusters",
        lambda w, when: {"since": when},
        ["body", "since"],
    ),
    BodyInput(
        "clustering until",
        "POST",
        "/api/v1/clients/{client}/post-clusters",
        lambda w, when: {"until": when},
        ["body", "until"],
    ),
]

QUERY_INPUTS = [("/api/v1/clients/{client}/posts", name) for name in ("since", "until")] + [
    (path, name)
    for path in (
        "/api/v1/clients/{client}/metrics",
        "/api/v1/clients/{client}/analyses",
        "/api/v1/tenant/audit-events",
    )
    for name in ("since", "until")
]

IMPORTS = [
    ("posts", "published_at", _post_row),
    ("metrics", "captured_at", _metric_row),
]


def _path(template: str, w: TenantWorld) -> str:
    return template.format(client=w.client.id, post=w.posts[0].id)


def _assert_located(response: httpx.Response, loc: list[str | int]) -> None:
    body = assert_problem(response, 422)
    locs = [e["loc"] for e in body["errors"]]
    assert loc in locs, locs


@pytest.mark.parametrize("when", EXTREMES)
@pytest.mark.parametrize("case", BODY_INPUTS, ids=lambda c: c.name)
async def test_body_datetimes_that_overflow_are_422(
    client: httpx.AsyncClient, tenant_a: TenantWorld, case: BodyInput, when: str
) -> None:
    r = await client.request(
        case.method,
        _path(case.path, tenant_a),
        json=case.body(tenant_a, when),
        headers=tenant_a.headers(Role.owner),
    )
    _assert_located(r, case.loc)


@pytest.mark.parametrize("when", EXTREMES)
@pytest.mark.parametrize(("path", "name"), QUERY_INPUTS)
async def test_query_datetimes_that_overflow_are_422(
    client: httpx.AsyncClient, tenant_a: TenantWorld, path: str, name: str, when: str
) -> None:
    r = await client.get(
        _path(path, tenant_a), params={name: when}, headers=tenant_a.headers(Role.owner)
    )
    _assert_located(r, ["query", name])


@pytest.mark.parametrize("when", EXTREMES)
@pytest.mark.parametrize(("kind", "field", "row"), IMPORTS)
async def test_import_rows_that_overflow_atomic(
    client: httpx.AsyncClient, tenant_a: TenantWorld, kind: str, field: str, row: Any, when: str
) -> None:
    rows = [row(tenant_a, "2026-02-01T12:00:00Z", 1), row(tenant_a, when, 2)]
    r = await client.post(
        f"/api/v1/clients/{tenant_a.client.id}/{kind}/import",
        json=rows,
        headers=tenant_a.headers(Role.analyst),
    )
    _assert_located(r, ["body", 2, field])


@pytest.mark.parametrize("when", EXTREMES)
@pytest.mark.parametrize(("kind", "field", "row"), IMPORTS)
@pytest.mark.parametrize("document", ["json", "csv"])
async def test_import_rows_that_overflow_partial(
    client: httpx.AsyncClient,
    tenant_a: TenantWorld,
    kind: str,
    field: str,
    row: Any,
    when: str,
    document: str,
) -> None:
    rows = [row(tenant_a, "2026-02-01T12:00:00Z", 1), row(tenant_a, when, 2)]
    url = f"/api/v1/clients/{tenant_a.client.id}/{kind}/import"
    headers = tenant_a.headers(Role.analyst)
    if document == "json":
        r = await client.post(url, params={"mode": "partial"}, json=rows, headers=headers)
    else:
        names = list(rows[0])
        lines = [",".join(names)] + [",".join(str(x[n]) for n in names) for x in rows]
        r = await client.post(
            url,
            params={"mode": "partial"},
            content="\n".join(lines) + "\n",
            headers={**headers, "Content-Type": "text/csv"},
        )
    assert r.status_code == 200, r.text
    result = r.json()
    assert (result["received"], result["inserted"], result["failed"]) == (2, 1, 1)
    [error] = result["errors"]
    assert (error["row"], error["field"]) == (2, field)


# The range is one day inside Python's on either side (so a stored time can be shown in
# any zone), checked on the date as written: 0001-01-03 to 9999-12-29, whatever the offset
# (so in UTC, offsets being under a day, it lies between 0001-01-02 and 9999-12-30), which
# the OpenAPI pattern says too. Just outside it is a 422 even in UTC; just inside it, even
# at the largest offsets, is accepted, or refused for another reason, but never a 500
# (e.g. an analysis whose `until` leaves no room for the default 90-day window).
OUTSIDE = [
    "0001-01-01T23:59:59Z",
    "0001-01-02T23:59:59-23:59",
    "9999-12-30T00:00:00+23:59",
    "9999-12-31T00:00:00Z",
]
INSIDE = ["0001-01-03T00:00:00+23:59", "0001-01-03T05:00:00+05:00", "9999-12-29T23:59:59-23:59"]


@pytest.mark.parametrize("when", OUTSIDE)
@pytest.mark.parametrize("case", BODY_INPUTS, ids=lambda c: c.name)
async def test_body_datetimes_at_the_edges_are_422(
    client: httpx.AsyncClient, tenant_a: TenantWorld, case: BodyInput, when: str
) -> None:
    r = await client.request(
        case.method,
        _path(case.path, tenant_a),
        json=case.body(tenant_a, when),
        headers=tenant_a.headers(Role.owner),
    )
    _assert_located(r, case.loc)


@pytest.mark.parametrize("when", INSIDE)
@pytest.mark.parametrize("case", BODY_INPUTS, ids=lambda c: c.name)
async def test_body_datetimes_just_inside_are_no_500(
    client: httpx.AsyncClient, tenant_a: TenantWorld, case: BodyInput, when: str
) -> None:
    r = await client.request(
        case.method,
        _path(case.path, tenant_a),
        json=case.body(tenant_a, when),
        headers=tenant_a.headers(Role.owner),
    )
    assert r.status_code < 500, r.text


@pytest.mark.parametrize("when", INSIDE + OUTSIDE)
@pytest.mark.parametrize(("path", "name"), QUERY_INPUTS)
async def test_query_datetimes_at_the_edges_are_no_500(
    client: httpx.AsyncClient, tenant_a: TenantWorld, path: str, name: str, when: str
) -> None:
    r = await client.get(
        _path(path, tenant_a), params={name: when}, headers=tenant_a.headers(Role.owner)
    )
    if when in OUTSIDE:
        _assert_located(r, ["query", name])
    else:
        assert r.status_code == 200, r.text


async def test_filters_need_a_time_zone(client: httpx.AsyncClient, tenant_a: TenantWorld) -> None:
    """A time without a zone is ambiguous (it was read in the server's zone): 422."""
    for path, name in QUERY_INPUTS:
        r = await client.get(
            _path(path, tenant_a),
            params={name: "2026-01-01T00:00:00"},
            headers=tenant_a.headers(Role.owner),
        )
        _assert_located(r, ["query", name])
