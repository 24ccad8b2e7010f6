"""Agents over HTTP: both kinds created, read, changed and deleted; prompt versions;
strict validation of stages and their output schemas; tenancy, roles and the audit log.

The tests count and list relative to what the tenant has when they start (a TenantWorld
may come with agents of its own)."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agents.models import Agent, AgentPromptVersion, AgentStage
from app.core.enums import Role
from app.tenants.models import AuditEvent
from tests.agents.bodies import OUTPUT_SCHEMA, assistant, stage, staged
from tests.factories import TenantWorld, assert_problem

URL = "/api/v1/agents"


async def _create(client: httpx.AsyncClient, w: TenantWorld, body: dict[str, Any]) -> Any:
    r = await client.post(URL, json=body, headers=w.headers(Role.analyst))
    assert r.status_code == 201, r.text
    return r.json()


async def _actions(session: AsyncSession, w: TenantWorld) -> list[tuple[str, dict[str, Any]]]:
    rows = await session.execute(
        select(AuditEvent.action, AuditEvent.details)
        .where(AuditEvent.tenant_id == w.tenant.id, AuditEvent.resource_type == "agent")
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )
    return [(a, d) for a, d in rows.all()]


async def _count(session: AsyncSession, model: Any, w: TenantWorld) -> int:
    query = select(func.count()).select_from(model).where(model.tenant_id == w.tenant.id)
    return int((await session.execute(query)).scalar_one())


async def _existing(session: AsyncSession, w: TenantWorld) -> set[str]:
    """The ids of the agents the tenant has before the test creates any."""
    rows = await session.execute(select(Agent.id).where(Agent.tenant_id == w.tenant.id))
    return {str(agent_id) for agent_id in rows.scalars()}


# --- create, read, update, delete --------------------------------------------------------


async def test_an_assistant_is_created_read_listed_and_deleted(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    existing = await _existing(session, tenant_a)
    versions_before = await _count(session, AgentPromptVersion, tenant_a)
    created = await _create(client, tenant_a, assistant())
    assert created["kind"] == "assistant"
    assert created["language"] == "es"  # the tenant's
    assert created["engine"] is None
    assert created["model"] is None
    assert created["tools"] == ["count_posts", "engagement"]
    assert created["prompt_version"] == 1
    assert created["is_active"] is True
    assert created["system_prompt"] == "Usted es el asistente de la agencia."
    assert created["stages"] == []

    h = tenant_a.headers(Role.viewer)
    one = await client.get(f"{URL}/{created['id']}", headers=h)
    assert one.status_code == 200
    assert one.json() == created
    listed = (await client.get(URL, headers=h)).json()
    assert {a["id"] for a in listed["items"]} == existing | {created["id"]}
    assert listed["total"] == len(existing) + 1
    assert "system_prompt" not in listed["items"][0]  # the list is the agents' fields only

    r = await client.delete(f"{URL}/{created['id']}", headers=tenant_a.headers(Role.analyst))
    assert r.status_code == 204
    assert_problem(await client.get(f"{URL}/{created['id']}", headers=h), 404)
    assert_problem(await client.get(f"{URL}/{created['id']}/versions", headers=h), 404)
    assert await _count(session, AgentPromptVersion, tenant_a) == versions_before
    assert [a for a, _ in await _actions(session, tenant_a)] == [
        "agent.create",
        "agent.version",
        "agent.delete",
    ]


async def test_a_staged_agent_keeps_its_stages_in_order(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    stages_before = await _count(session, AgentStage, tenant_a)
    body = staged(language="en", engine="openai", model="gpt-4o-mini", temperature=0.3)
    created = await _create(client, tenant_a, body)
    assert created["kind"] == "staged"
    assert (created["language"], created["engine"], created["model"]) == (
        "en",
        "openai",
        "gpt-4o-mini",
    )
    assert created["temperature"] == 0.3
    assert [(s["position"], s["name"]) for s in created["stages"]] == [
        (1, "Datos"),
        (2, "Contacto"),
    ]
    first = created["stages"][0]
    # Stored as the JSON schema sent: no null keywords added.
    assert first["output_schema"] == OUTPUT_SCHEMA
    assert first["questions"] == {"nombre": "¿Cómo se llama su marca?"}
    assert created["stages"][1]["questions"] == {}
    assert await _count(session, AgentStage, tenant_a) == stages_before + 2

    r = await client.delete(f"{URL}/{created['id']}", headers=tenant_a.headers(Role.analyst))
    assert r.status_code == 204
    assert await _count(session, AgentStage, tenant_a) == stages_before  # by cascade


async def test_other_fields_change_in_place_without_a_new_version(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    created = await _create(
        client,
        tenant_a,
        assistant(engine="local", temperature=1.0, client_id=str(tenant_a.client.id)),
    )
    url = f"{URL}/{created['id']}"
    h = tenant_a.headers(Role.analyst)
    r = await client.patch(
        url,
        json={
            "name": "Asistente 2",
            "tools": ["search_documents"],
            "is_active": False,
            "engine": None,  # null clears: the tenant's settings again
            "temperature": None,
            "client_id": None,
            "language": None,  # a required field: null leaves it as it is
            "purpose": "Otro",
        },
        headers=h,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == "Asistente 2"
    assert body["tools"] == ["search_documents"]
    assert body["is_active"] is False
    assert body["engine"] is None
    assert body["temperature"] is None
    assert body["client_id"] is None
    assert body["language"] == "es"
    assert body["prompt_version"] == 1
    # The same system prompt sent again is no change either.
    r = await client.patch(url, json={"system_prompt": created["system_prompt"]}, headers=h)
    assert r.json()["prompt_version"] == 1
    versions = (await client.get(f"{url}/versions", headers=h)).json()
    assert versions["total"] == 1
    actions = [a for a, _ in await _actions(session, tenant_a)]
    assert actions == ["agent.create", "agent.version", "agent.update", "agent.update"]


async def test_a_prompt_change_makes_version_2_and_keeps_version_1_readable(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    versions_before = await _count(session, AgentPromptVersion, tenant_a)
    created = await _create(client, tenant_a, staged())
    url = f"{URL}/{created['id']}"
    h = tenant_a.headers(Role.analyst)
    r = await client.patch(url, json={"system_prompt": "Nuevo prompt."}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["prompt_version"] == 2
    assert r.json()["system_prompt"] == "Nuevo prompt."
    assert r.json()["stages"] == created["stages"]  # stages carried into the new version

    new_stages = [stage("Solo una etapa", questions={"email": "¿Su correo?"})]
    r = await client.patch(url, json={"stages": new_stages}, headers=h)
    assert r.json()["prompt_version"] == 3
    assert [s["name"] for s in r.json()["stages"]] == ["Solo una etapa"]

    versions = (await client.get(f"{url}/versions", headers=tenant_a.headers(Role.viewer))).json()
    assert versions["total"] == 3
    assert [v["version"] for v in versions["items"]] == [3, 2, 1]  # newest first
    assert [len(v["stages"]) for v in versions["items"]] == [1, 2, 2]

    one = (await client.get(f"{url}/versions/1", headers=tenant_a.headers(Role.viewer))).json()
    assert one["version"] == 1
    assert one["system_prompt"] == "Usted da la bienvenida."
    assert one["stages"] == created["stages"]
    assert one["created_by_id"] == str(tenant_a.users[Role.analyst].id)
    page = await client.get(f"{url}/versions", params={"limit": 1, "offset": 1}, headers=h)
    assert [v["version"] for v in page.json()["items"]] == [2]

    r = await client.get(f"{url}/versions/4", headers=h)
    assert assert_problem(r, 404)["detail"] == "Prompt version not found"
    assert_problem(await client.get(f"{url}/versions/0", headers=h), 422)
    assert await _count(session, AgentPromptVersion, tenant_a) == versions_before + 3
    versions_audited = [
        d["version"] for a, d in await _actions(session, tenant_a) if a == "agent.version"
    ]
    assert versions_audited == [1, 2, 3]


async def test_a_prompt_and_stages_changed_together_make_one_version(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    created = await _create(client, tenant_a, staged())
    r = await client.patch(
        f"{URL}/{created['id']}",
        json={"system_prompt": "Otro.", "stages": [stage("Una")]},
        headers=tenant_a.headers(Role.analyst),
    )
    assert r.json()["prompt_version"] == 2


async def test_an_assistant_takes_no_stages(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    versions_before = await _count(session, AgentPromptVersion, tenant_a)
    created = await _create(client, tenant_a, assistant())
    r = await client.patch(
        f"{URL}/{created['id']}", json={"stages": [stage()]}, headers=tenant_a.headers()
    )
    body = assert_problem(r, 422)
    assert "An assistant has no stages" in body["detail"]
    assert body["errors"][0]["loc"] == ["body", "stages"]
    assert await _count(session, AgentPromptVersion, tenant_a) == versions_before + 1


async def test_list_filters_sorts_and_pages(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    # A tenant with these three agents only.
    await session.execute(delete(Agent).where(Agent.tenant_id == tenant_a.tenant.id))
    a = await _create(client, tenant_a, assistant("soporte", name="Zeta soporte"))
    b = await _create(
        client, tenant_a, staged("alta-marca", name="Alta", client_id=str(tenant_a.client.id))
    )
    c = await _create(client, tenant_a, assistant("ventas", name="Beta", is_active=False))
    h = tenant_a.headers(Role.viewer)

    async def ids(**params: Any) -> list[str]:
        r = await client.get(URL, params=params, headers=h)
        assert r.status_code == 200, r.text
        return [x["id"] for x in r.json()["items"]]

    assert await ids() == [b["id"], c["id"], a["id"]]  # by name
    assert await ids(sort="-slug") == [c["id"], a["id"], b["id"]]
    assert await ids(kind="staged") == [b["id"]]
    assert await ids(client_id=str(tenant_a.client.id)) == [b["id"]]
    assert await ids(is_active="false") == [c["id"]]
    assert await ids(q="SOPORTE") == [a["id"]]  # the name or slug, any case
    assert await ids(q="marca") == [b["id"]]
    assert await ids(q="%") == []
    page = (await client.get(URL, params={"limit": 1, "offset": 1}, headers=h)).json()
    assert page["total"] == 3
    assert [x["id"] for x in page["items"]] == [c["id"]]
    assert_problem(await client.get(URL, params={"kind": "robot"}, headers=h), 422)


# --- validation ----------------------------------------------------------------------------


def _schema(**changes: Any) -> dict[str, Any]:
    schema = copy.deepcopy(OUTPUT_SCHEMA)
    schema.update(changes)
    return schema


def _prop(**prop: Any) -> dict[str, Any]:
    return _schema(properties={"campo": prop}, required=["campo"])


INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("slug with spaces", assistant("Mi Agente"), "A slug is 2 to 64 lowercase letters"),
    ("slug too short", assistant("a"), "A slug is 2 to 64"),
    ("slug hyphen at the end", assistant("agente-"), "no hyphen at either end"),
    ("unknown tool", assistant(tools=["sql"]), "Unknown tool 'sql'"),
    ("tool twice", assistant(tools=["engagement", "engagement"]), "twice"),
    ("unknown kind", assistant(kind="robot"), "kind should be one of: assistant, staged"),
    ("assistant with stages", assistant(stages=[stage()]), "An assistant has no stages"),
    ("staged without stages", staged(stages=None), "stages"),
    ("staged with no stage", staged(stages=[]), "at least 1 item"),
    ("21 stages", staged(stages=[stage(f"Etapa {i}") for i in range(21)]), "at most 20 items"),
    ("two stages of one name", staged(stages=[stage("A"), stage("a")]), "Two stages are named"),
    (
        "schema not an object",
        staged(stages=[stage(output_schema=_schema(type="array"))]),
        "output_schema.type",
    ),
    (
        "required not a property",
        staged(stages=[stage(output_schema=_schema(required=["nombre", "telefono"]))]),
        "required names telefono, not among the properties",
    ),
    (
        "no required field",
        staged(stages=[stage(output_schema=_schema(required=[]))]),
        "at least 1 item",
    ),
    (
        "property without description",
        staged(stages=[stage(output_schema=_prop(type="string"))]),
        "description",
    ),
    (
        "property of an unknown type",
        staged(stages=[stage(output_schema=_prop(type="array", description="x"))]),
        "type should be one of: string, integer, number, boolean",
    ),
    (
        "unknown format",
        staged(stages=[stage(output_schema=_prop(type="string", description="x", format="phone"))]),
        "'email', 'date' or 'uri'",
    ),
    (
        "a keyword outside the subset",
        staged(stages=[stage(output_schema=_prop(type="string", description="x", items={}))]),
        "Extra inputs are not permitted",
    ),
    (
        "minimum on a string",
        staged(stages=[stage(output_schema=_prop(type="string", description="x", minimum=1))]),
        "Extra inputs are not permitted",
    ),
    (
        "minimum above maximum",
        staged(
            stages=[
                stage(output_schema=_prop(type="integer", description="x", minimum=5, maximum=1))
            ]
        ),
        "minimum is greater than maximum",
    ),
    (
        "minLength above maxLength",
        staged(
            stages=[
                stage(output_schema=_prop(type="string", description="x", minLength=5, maxLength=1))
            ]
        ),
        "minLength is greater than maxLength",
    ),
    (
        "a pattern that is no regular expression",
        staged(stages=[stage(output_schema=_prop(type="string", description="x", pattern="(a"))]),
        "pattern is not a valid regular expression",
    ),
    (
        "an integer enum of text",
        staged(stages=[stage(output_schema=_prop(type="integer", description="x", enum=["5"]))]),
        "Each enum value should be an integer",
    ),
    (
        "a field name that is no identifier",
        staged(stages=[stage(output_schema=_schema(properties={"Nombre Completo": {}}))]),
        "properties",
    ),
    (
        "a question for no property",
        staged(stages=[stage(questions={"telefono": "¿Su teléfono?"})]),
        "questions names telefono, not among the output_schema's properties",
    ),
    ("temperature above 2", assistant(temperature=2.5), "less than or equal to 2"),
    ("unknown engine", assistant(engine="gpt"), "'local' or 'openai'"),
    ("a tenant_id", assistant(tenant_id="x"), "Extra inputs are not permitted"),
]


@pytest.mark.parametrize(("case", "body", "message"), INVALID, ids=[c[0] for c in INVALID])
async def test_invalid_agents_are_422_naming_the_problem(
    case: str,
    body: dict[str, Any],
    message: str,
    client: httpx.AsyncClient,
    session: AsyncSession,
    tenant_a: TenantWorld,
) -> None:
    body = {k: v for k, v in body.items() if v is not None}
    before = await _count(session, Agent, tenant_a)
    r = await client.post(URL, json=body, headers=tenant_a.headers(Role.analyst))
    problem = assert_problem(r, 422)
    assert problem["errors"], problem
    said = " ".join([problem["detail"]] + [f"{e['loc']} {e['msg']}" for e in problem["errors"]])
    assert message in said, said
    assert await _count(session, Agent, tenant_a) == before
    assert await _actions(session, tenant_a) == []


async def test_invalid_stages_in_a_patch_change_nothing(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    created = await _create(client, tenant_a, staged())
    bad = [stage(output_schema=_schema(required=["nada"]))]
    r = await client.patch(
        f"{URL}/{created['id']}", json={"stages": bad, "name": "Otro"}, headers=tenant_a.headers()
    )
    assert "required names nada" in assert_problem(r, 422)["detail"]
    r = await client.get(f"{URL}/{created['id']}", headers=tenant_a.headers())
    assert r.json() == created
    r = await client.patch(
        f"{URL}/{created['id']}", json={"kind": "assistant"}, headers=tenant_a.headers()
    )
    assert_problem(r, 422)  # the kind is fixed once created


async def test_every_kind_of_field_is_accepted(
    client: httpx.AsyncClient, tenant_a: TenantWorld
) -> None:
    properties = {
        "texto": {
            "type": "string",
            "description": "Texto",
            "minLength": 2,
            "maxLength": 20,
            "pattern": "^[a-z]+$",
        },
        "opcion": {"type": "string", "description": "Opción", "enum": ["a", "b"]},
        "fecha": {"type": "string", "description": "Fecha", "format": "date"},
        "web": {"type": "string", "description": "Web", "format": "uri"},
        "entero": {"type": "integer", "description": "Entero", "enum": [1, 2, 3.0]},
        "numero": {"type": "number", "description": "Número", "minimum": 0.5, "maximum": 9},
        "si_no": {"type": "boolean", "description": "Sí o no"},
    }
    schema = {"type": "object", "properties": properties, "required": list(properties)}
    created = await _create(
        client, tenant_a, staged(stages=[stage(output_schema=schema, questions={})])
    )
    stored = created["stages"][0]["output_schema"]
    assert stored["properties"]["entero"]["enum"] == [1, 2, 3]
    assert stored["properties"]["si_no"] == {"type": "boolean", "description": "Sí o no"}
    assert stored["required"] == list(properties)


# --- conflicts, clients, tenancy, roles -------------------------------------------------


async def test_a_slug_is_unique_in_the_tenant(
    client: httpx.AsyncClient, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    first = await _create(client, tenant_a, assistant("uno"))
    r = await client.post(URL, json=staged("uno"), headers=tenant_a.headers())
    assert assert_problem(r, 409)["detail"] == "An agent with this slug already exists"
    await _create(client, tenant_b, assistant("uno"))  # another tenant's slugs are its own
    second = await _create(client, tenant_a, assistant("dos"))
    r = await client.patch(
        f"{URL}/{second['id']}", json={"slug": "uno"}, headers=tenant_a.headers()
    )
    assert_problem(r, 409)
    r = await client.patch(f"{URL}/{first['id']}", json={"slug": "uno"}, headers=tenant_a.headers())
    assert r.status_code == 200  # its own slug again


async def test_the_client_must_be_the_tenants(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    before = await _count(session, Agent, tenant_a)
    r = await client.post(
        URL, json=assistant(client_id=str(tenant_b.client.id)), headers=tenant_a.headers()
    )
    assert assert_problem(r, 404)["detail"] == "Client not found"
    created = await _create(client, tenant_a, assistant(client_id=str(tenant_a.client.id)))
    assert created["client_id"] == str(tenant_a.client.id)
    r = await client.patch(
        f"{URL}/{created['id']}",
        json={"client_id": str(tenant_b.client.id)},
        headers=tenant_a.headers(),
    )
    assert_problem(r, 404)
    assert await _count(session, Agent, tenant_a) == before + 1


async def test_another_tenants_agent_is_404_and_not_listed(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld, tenant_b: TenantWorld
) -> None:
    existing = await _existing(session, tenant_a)
    theirs = await _create(client, tenant_b, staged())
    ours = await _create(client, tenant_a, assistant())
    h = tenant_a.headers()
    url = f"{URL}/{theirs['id']}"
    for method, path, body in [
        ("GET", url, None),
        ("PATCH", url, {"name": "Mío"}),
        ("DELETE", url, None),
        ("GET", f"{url}/versions", None),
        ("GET", f"{url}/versions/1", None),
    ]:
        r = await client.request(method, path, json=body, headers=h)
        assert assert_problem(r, 404)["detail"] == "Agent not found", (method, path)
        assert theirs["name"] not in r.text
    listed = (await client.get(URL, headers=h)).json()
    assert {a["id"] for a in listed["items"]} == existing | {ours["id"]}
    assert (await client.get(url, headers=tenant_b.headers())).json()["name"] == "Onboarding"
    assert len(await _actions(session, tenant_b)) == 2  # its create and version 1 only


async def test_a_viewer_reads_but_does_not_write(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    created = await _create(client, tenant_a, assistant())
    url = f"{URL}/{created['id']}"
    viewer = tenant_a.headers(Role.viewer)
    before = await _actions(session, tenant_a)
    assert_problem(await client.post(URL, json=assistant("otro"), headers=viewer), 403)
    assert_problem(await client.patch(url, json={"name": "X"}, headers=viewer), 403)
    assert_problem(await client.delete(url, headers=viewer), 403)
    assert await _actions(session, tenant_a) == before
    for path in (URL, url, f"{url}/versions", f"{url}/versions/1"):
        assert (await client.get(path, headers=viewer)).status_code == 200, path
    assert_problem(await client.get(URL), 401)
    # An analyst's API key writes.
    key = {"X-API-Key": tenant_a.api_key_secret}
    assert (await client.patch(url, json={"name": "Por clave"}, headers=key)).status_code == 200


async def test_the_audit_log_records_each_write_and_version(
    client: httpx.AsyncClient, session: AsyncSession, tenant_a: TenantWorld
) -> None:
    created = await _create(client, tenant_a, staged())
    url = f"{URL}/{created['id']}"
    h = tenant_a.headers(Role.analyst)
    await client.patch(url, json={"name": "Otro", "system_prompt": "Nuevo."}, headers=h)
    await client.delete(url, headers=h)
    assert await _actions(session, tenant_a) == [
        ("agent.create", {"slug": "alta-de-marca", "kind": "staged"}),
        ("agent.version", {"version": 1, "stages": 2}),
        ("agent.update", {"fields": ["name", "system_prompt"]}),
        ("agent.version", {"version": 2, "stages": 2}),
        ("agent.delete", {"slug": "alta-de-marca"}),
    ]
    rows = await session.execute(
        select(AuditEvent.actor_user_id, AuditEvent.resource_id).where(
            AuditEvent.tenant_id == tenant_a.tenant.id, AuditEvent.resource_type == "agent"
        )
    )
    assert set(rows.all()) == {(tenant_a.users[Role.analyst].id, created["id"])}
