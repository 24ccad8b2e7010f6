"""The OpenAPI document is the contract (issue 10, defect 10), finding by finding; the
whole of it is checked by schemathesis in tests/test_fuzz.py.

- every status an operation can answer is documented, as problem+json;
- what the schema refuses is refused: a number is not a time, `false` not an integer, `0`
  not a boolean, a string not a list (import rows aside, which may be written as text);
- what the code refuses is in the schema: patterns (no NUL, not blank, a time's grammar
  and range), enums (time zones, questions), `anyOf` (a post's audience);
- a 405 lists in `Allow` every method of the resource, and a fixed path is not a
  template's parameter (`PATCH .../posts/import` is a 405, not the post `import`);
- a revoked API key is gone from reads;
- an UPDATE that finds its row deleted by another request is a 404, not a 500.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm.exc import StaleDataError

from app.analyses import registry
from app.core.config import Settings
from app.core.enums import Role
from app.core.errors import PROBLEM_JSON, Problem, install_error_handlers, problem_title
from app.core.schemas import DATE_TIME_PATTERN, NOT_BLANK, Name, Timezone, UtcDatetime
from app.forecasting.service import COMPARE_IDS_PATTERN
from app.main import create_app
from tests.factories import TenantWorld, assert_problem


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(Settings(environment="test", _env_file=None)).openapi()  # type: ignore[call-arg]


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_every_operation_documents_the_errors_any_request_can_get(
    document: dict[str, Any],
) -> None:
    for path, method, operation in _operations(document):
        responses = operation["responses"]
        expected = {"400", "413"} | ({"503"} if path.startswith("/api/v1") else set())
        assert expected <= set(responses), (method, path, sorted(responses))
        for status, response in responses.items():
            if status[0] in "45":
                assert list(response["content"]) == [PROBLEM_JSON], (method, path, status)
                media = response["content"][PROBLEM_JSON]
                assert media["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_each_error_response_shows_an_example_of_its_own_status(
    document: dict[str, Any],
) -> None:
    """Swagger UI showed "404 Client not found" under every error (issue 11, item 12):
    each documented error has its own example, a valid Problem of that status."""
    details: dict[str, set[str]] = {}
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            if status[0] not in "45":
                continue
            example = response["content"][PROBLEM_JSON]["example"]
            problem = Problem.model_validate(example)
            assert problem.status == int(status), (method, path, status, example)
            assert problem.title == problem_title(int(status)), (method, path, example)
            assert problem.type.startswith("https://"), example
            assert problem.detail, example
            assert str(problem.instance).startswith("/"), example
            details.setdefault(status, set()).add(problem.detail)
    assert {"400", "401", "403", "404", "409", "413", "422", "429", "503", "504"} <= set(details)
    # No status borrows another's words.
    assert not any("not found" in d.lower() for s, ds in details.items() if s != "404" for d in ds)
    # A 404 names what is missing, from the operation's path.
    client = document["paths"]["/api/v1/clients/{client_id}"]["get"]["responses"]["404"]
    assert client["content"][PROBLEM_JSON]["example"]["detail"] == "Client not found"
    # A 422 shows the field problems it carries.
    examples = [
        operation["responses"]["422"]["content"][PROBLEM_JSON]["example"]
        for _, _, operation in _operations(document)
        if "422" in operation["responses"]
    ]
    assert examples
    assert all(e["errors"] for e in examples)
    # The schema itself carries no example of one status.
    assert "Client not found" not in json.dumps(document["components"]["schemas"]["Problem"])


def test_the_analyses_tag_describes_every_question(document: dict[str, Any]) -> None:
    """Built from the registry: a new question folder appears here by itself."""
    tags = {tag["name"]: tag.get("description", "") for tag in document["tags"]}
    used = {tag for _, _, operation in _operations(document) for tag in operation["tags"]}
    assert used <= set(tags), used - set(tags)
    description = tags["analyses"]
    for question in registry.QUESTIONS:
        key = re.compile(rf"^- \*\*{question.key}\*\*")
        line = next(x for x in description.splitlines() if key.search(x))
        for text in (question.slug, question.title, question.summary):
            assert text in line, (text, line)


def test_login_and_a_synchronous_run_document_429_and_504(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert "429" in paths["/api/v1/auth/login"]["post"]["responses"]
    assert "429" in paths["/api/v1/auth/token"]["post"]["responses"]
    run = paths["/api/v1/clients/{client_id}/analyses/{question}"]["post"]
    assert "504" in run["responses"]


def _request_strings(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every string schema a request can carry (parameters and bodies, through $refs)."""
    components = document["components"]["schemas"]
    found: list[dict[str, Any]] = []
    seen: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        if not isinstance(node, dict):
            return
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                walk(components[name])
            return
        if node.get("type") == "string":
            found.append(node)
        for key, value in node.items():
            if key not in ("examples", "default", "example", "enum", "const"):
                walk(value)

    for _, _, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            walk(parameter["schema"])
        walk(operation.get("requestBody", {}).get("content", {}))
    return found


def test_no_request_string_admits_nul(document: dict[str, Any]) -> None:
    strings = _request_strings(document)
    assert len(strings) > 50
    for schema in strings:
        if "enum" in schema or "const" in schema or "format" in schema:
            continue
        pattern = schema["pattern"]
        for text in ("\x00", "ab\x00", "\x00cd", "https://a\x00b"):
            assert re.search(pattern, text) is None, (pattern, text)


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("2026-03-14T19:30:00Z", True),
        ("2026-03-14t19:30:00.123456789z", True),
        ("2026-03-14T19:30:00-05:00", True),
        ("0001-01-03T00:00:00+23:59", True),
        ("9999-12-29T23:59:59-23:59", True),
        ("0001-01-02T00:00:00Z", False),  # the date as written is before the range
        ("9999-12-30T23:59:59Z", False),
        ("0000-06-01T00:00:00Z", False),
        ("2026-03-14T19:30:60Z", False),  # a leap second: not a time Python knows
        ("2026-03-14T19:30Z", False),  # no seconds
        ("2026-03-14 19:30:00Z", False),
        ("2026-03-14T19:30:00", False),  # no zone
        ("2026-03-14T19:30:00+0500", False),
        ("0.5", False),  # a number is not a time (Pydantic alone reads a Unix time)
        ("1700000000", False),
    ],
)
def test_a_time_is_what_its_pattern_says(text: str, valid: bool) -> None:
    assert (re.search(DATE_TIME_PATTERN, text) is not None) is valid
    try:
        TypeAdapter(UtcDatetime).validate_python(text)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted is valid


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("Acme", True),
        ("  Acme  ", True),
        ("\u0085A\u3000", True),
        (" ", False),
        ("\u2003\t", False),
    ],
)
def test_a_name_is_what_its_pattern_says(text: str, valid: bool) -> None:
    assert (re.search(NOT_BLANK, text) is not None) is valid
    try:
        value = TypeAdapter(Name).validate_python(text)
        assert value == value.strip()
        assert value
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted is valid


def test_time_zones_are_the_schemas_enum(document: dict[str, Any]) -> None:
    schema = document["components"]["schemas"]["TenantUpdate"]["properties"]["timezone"]
    [zones] = [s["enum"] for s in schema["anyOf"] if "enum" in s]
    assert "America/Lima" in zones
    assert "localtime" not in zones
    TypeAdapter(Timezone).validate_python("America/Lima")
    with pytest.raises(ValidationError):
        TypeAdapter(Timezone).validate_python("Mars/Base")


async def test_lax_values_are_refused_where_the_schema_refuses_them(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    h = tenant_a.headers(Role.analyst)
    c = f"/api/v1/clients/{tenant_a.client.id}"
    for path in (f"{c}/posts", f"{c}/metrics", f"{c}/analyses", "/api/v1/tenant/audit-events"):
        r = await client.get(path, params={"until": "0.5"}, headers=tenant_a.headers())
        assert assert_problem(r, 422)["errors"][0]["loc"] == ["query", "until"], path
    metric = f"{c}/metrics/{tenant_a.metrics[0].id}"
    post = f"{c}/posts/{tenant_a.posts[0].id}"
    for url, body, field in [
        (metric, {"impressions": False}, "impressions"),
        (metric, {"followers": "5"}, "followers"),
        (metric, {"engagement_rate": True}, "engagement_rate"),
        (post, {"is_own": 0}, "is_own"),
        (post, {"is_own": "true"}, "is_own"),
        (post, {"hashtags": "a,b"}, "hashtags"),
        (post, {"published_at": 1700000000}, "published_at"),
    ]:
        r = await client.patch(url, json=body, headers=h)
        assert assert_problem(r, 422)["errors"][0]["loc"] == ["body", field], body
    # JSON Schema counts 5.0 as an integer, and so does the API.
    r = await client.patch(metric, json={"impressions": 5.0}, headers=h)
    assert r.status_code == 200
    assert r.json()["impressions"] == 5


async def test_import_rows_may_still_write_values_as_text(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    row = {
        "account_id": str(tenant_a.accounts[0].id),
        "external_id": "as-text-1",
        "author_handle": "fan",
        "text": "Hola",
        "published_at": "2026-02-01T12:00:00Z",
        "likes": "7",
        "is_own": "true",
        "hashtags": "a|b",
    }
    r = await client.post(
        f"/api/v1/clients/{tenant_a.client.id}/posts/import",
        json=[row],
        headers=tenant_a.headers(Role.analyst),
    )
    assert r.status_code == 200, r.text
    assert r.json()["inserted"] == 1
    # ...but not a row that is not an object: the document is not an array of objects.
    r = await client.post(
        f"/api/v1/clients/{tenant_a.client.id}/posts/import",
        params={"mode": "partial"},
        json=[row, 5],
        headers=tenant_a.headers(Role.analyst),
    )
    assert "Row 2 is not an object" in assert_problem(r, 422)["detail"]


async def test_what_the_code_refuses_the_schema_refuses(
    client: httpx.AsyncClient, tenant_a: TenantWorld, document: dict[str, Any]
) -> None:
    h = tenant_a.headers()
    c = f"/api/v1/clients/{tenant_a.client.id}"
    schemas = document["components"]["schemas"]
    # A post's audience: author_followers or reach above 0 (the model's rule, an anyOf).
    assert len(schemas["AssignIn"]["anyOf"]) == 2
    # Questions by key or slug as written: the enum, nothing else.
    job = schemas["JobRequest"]["properties"]["questions"]["anyOf"][0]["items"]
    assert "q1" in job["enum"]
    assert "topics" in job["enum"]
    assert "Q1" not in job["enum"]
    r = await client.post(f"{c}/analyses", json={"questions": ["Q1"]}, headers=h)
    assert assert_problem(r, 422)["errors"][0]["loc"][:2] == ["body", "questions"]
    # Blank names are refused, and said to be.
    r = await client.patch(c, json={"name": "   "}, headers=h)
    assert_problem(r, 422)
    # A name of 200 characters padded with white space is over the schema's maxLength.
    r = await client.patch(c, json={"name": " " * 5 + "x" * 198}, headers=h)
    assert_problem(r, 422)
    r = await client.patch(c, json={"name": "  Banco  "}, headers=h)
    assert r.json()["name"] == "Banco"
    # Compared forecast versions: 2 to 10 ids, by the parameter's pattern.
    one = "0f0c7e0e-8f0b-4a53-9d1e-2b1f0c7e9a10"
    assert re.search(COMPARE_IDS_PATTERN, f"{one},{one}")
    for ids in (one, ",".join([one] * 11), f"{one},", f" {one},{one}"):
        assert re.search(COMPARE_IDS_PATTERN, ids) is None
        r = await client.get(
            f"{c}/accounts/{tenant_a.accounts[0].id}/forecasts/compare",
            params={"ids": ids},
            headers=h,
        )
        assert assert_problem(r, 422)["errors"][0]["loc"] == ["query", "ids"]


async def test_405_lists_every_method_of_the_resource(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    h = tenant_a.headers()
    c = f"/api/v1/clients/{tenant_a.client.id}"
    for method, path, allow in [
        ("OPTIONS", "/api/v1/clients", "GET, POST"),
        ("PUT", c, "DELETE, GET, PATCH"),
        ("OPTIONS", "/api/v1/tenant/api-keys", "GET, POST"),
        ("DELETE", "/api/v1/tenant", "GET, PATCH"),
        # A fixed path beats a template's parameter: not the post (or metric) `import`.
        ("PATCH", f"{c}/posts/import", "POST"),
        ("GET", f"{c}/metrics/import", "POST"),
        ("DELETE", f"{c}/posts/import", "POST"),
    ]:
        r = await client.request(method, path, headers=h)
        assert_problem(r, 405)
        assert r.headers["allow"] == allow, (method, path)
    # The templates still answer for real ids.
    r = await client.get(f"{c}/posts/{tenant_a.posts[0].id}", headers=h)
    assert r.status_code == 200


async def test_a_revoked_api_key_is_gone_from_reads(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    h = tenant_a.headers(Role.admin)
    url = f"/api/v1/tenant/api-keys/{tenant_a.api_key.id}"
    assert (await client.get(url, headers=h)).status_code == 200
    assert (await client.delete(url, headers=h)).status_code == 204
    assert_problem(await client.get(url, headers=h), 404)
    assert_problem(await client.delete(url, headers=h), 404)
    listed = await client.get("/api/v1/tenant/api-keys", headers=h)
    assert str(tenant_a.api_key.id) not in listed.text
    kept = await client.get(
        "/api/v1/tenant/api-keys", params={"include_revoked": "true"}, headers=h
    )
    [key] = [k for k in kept.json()["items"] if k["id"] == str(tenant_a.api_key.id)]
    assert key["revoked_at"] is not None


async def test_a_row_deleted_meanwhile_is_a_404() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.patch("/thing")
    async def update() -> None:
        raise StaleDataError("UPDATE statement on table 'client' expected to update 1 row(s)")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        body = assert_problem(await c.patch("/thing"), 404)
    assert "deleted" in body["detail"]
    assert "UPDATE" not in body["detail"]
