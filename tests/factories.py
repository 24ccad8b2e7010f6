"""Builders for test data: two tenants, each with a user per role, a client with
accounts, posts and metrics, and an API key, so every test can also probe isolation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.agents.models import Agent, AgentPromptVersion, AgentStage
from app.analyses.models import AnalysisJob, AnalysisRun
from app.chat.models import Conversation, Message
from app.clients.models import Client, SocialAccount
from app.core.config import Settings
from app.core.enums import Role
from app.core.security import create_access_token, pwd_context, sha256_hex
from app.documents.models import Document
from app.metrics.models import AccountMetric
from app.posts.models import Post
from app.tenants.models import ApiKey, Tenant, User

PASSWORD = "correct-horse-battery"
PASSWORD_HASH = pwd_context.hash(PASSWORD)  # once per session: hashing is deliberately slow


@dataclass
class TenantWorld:
    tenant: Tenant
    users: dict[Role, User]
    tokens: dict[Role, str]
    client: Client
    accounts: list[SocialAccount]
    posts: list[Post]
    metrics: list[AccountMetric]
    api_key: ApiKey
    api_key_secret: str
    extra_user: User
    job: AnalysisJob
    run: AnalysisRun
    agents: list[Agent]
    conversations: list[Conversation]
    documents: list[Document]
    ids: dict[str, uuid.UUID] = field(default_factory=dict)

    def headers(self, role: Role = Role.owner) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


async def make_tenant(session: AsyncSession, settings: Settings, name: str) -> TenantWorld:
    tag = uuid.uuid4().hex[:8]
    tenant = Tenant(
        name=name,
        slug=f"{name.lower().replace(' ', '-')}-{tag}",
        language="es",
        timezone="America/Lima",
        is_active=True,
    )
    session.add(tenant)
    await session.flush()
    users: dict[Role, User] = {}
    for role in Role:
        user = User(
            tenant_id=tenant.id,
            email=f"{role.value}-{tag}@example.com",
            password_hash=PASSWORD_HASH,
            full_name=f"{role.value.title()} {name}",
            role=role.value,
            is_active=True,
            is_superuser=False,
        )
        session.add(user)
        users[role] = user
    extra = User(
        tenant_id=tenant.id,
        email=f"extra-{tag}@example.com",
        password_hash=PASSWORD_HASH,
        full_name="Extra Analyst",
        role=Role.analyst.value,
        is_active=True,
        is_superuser=False,
    )
    session.add(extra)
    client = Client(
        tenant_id=tenant.id,
        name=f"Brand of {name}",
        industry="banking",
        country="PE",
        language="es",
        competitors=[{"name": "Rival"}],
    )
    session.add(client)
    await session.flush()
    accounts = [
        SocialAccount(tenant_id=tenant.id, client_id=client.id, platform="x", handle=f"brand{tag}"),
        SocialAccount(
            tenant_id=tenant.id, client_id=client.id, platform="instagram", handle=f"brand{tag}"
        ),
    ]
    session.add_all(accounts)
    await session.flush()
    base = datetime(2026, 3, 1, 12, tzinfo=UTC)
    posts = []
    for i in range(6):
        account = accounts[i % 2]
        posts.append(
            Post(
                tenant_id=tenant.id,
                client_id=client.id,
                account_id=account.id,
                platform=account.platform,
                external_id=f"ext-{i}",
                author_handle=f"user{i}",
                author_followers=100 * i,
                text=f"Post {i} about {name} #promo{i % 2}",
                published_at=base + timedelta(days=i),
                likes=10 * i,
                comments=i,
                shares=i,
                views=100 * i,
                reach=50 * i,
                content_type="text",
                hashtags=[f"promo{i % 2}"],
                mentions=[],
                language="es",
                is_own=i % 3 == 0,
            )
        )
    session.add_all(posts)
    metrics = [
        AccountMetric(
            tenant_id=tenant.id,
            client_id=client.id,
            account_id=accounts[0].id,
            captured_at=base + timedelta(days=d),
            followers=1000 + d,
            following=10,
            posts_total=100 + d,
            engagement_rate=0.03,
            reach=500,
            impressions=900,
        )
        for d in range(3)
    ]
    session.add_all(metrics)
    secret = f"pk_{tag}aa00_{uuid.uuid4().hex}"
    api_key = ApiKey(
        tenant_id=tenant.id,
        name="ci",
        prefix=f"{tag}aa00",
        key_hash=sha256_hex(secret),
        role=Role.analyst.value,
    )
    session.add(api_key)
    await session.flush()
    job = AnalysisJob(
        tenant_id=tenant.id,
        client_id=client.id,
        status="succeeded",
        questions=["q7"],
        params={},
        progress=100,
    )
    session.add(job)
    await session.flush()
    run = AnalysisRun(
        tenant_id=tenant.id,
        client_id=client.id,
        job_id=job.id,
        question="q7",
        status="failed",
        engine="local",
        model="local-1",
        prompt_version="local",
        input_fingerprint="0" * 64,
        params={},
        usage={},
        error="example",
        posts_analyzed=0,
    )
    session.add(run)
    await session.flush()
    agent = Agent(
        tenant_id=tenant.id,
        name=f"Onboarding of {name}",
        slug="onboarding",
        purpose="",
        kind="staged",
        language="es",
        tools=["count_posts"],
        prompt_version=1,
        is_active=True,
    )
    session.add(agent)
    await session.flush()
    agent_version = AgentPromptVersion(
        tenant_id=tenant.id,
        agent_id=agent.id,
        version=1,
        system_prompt="Usted da la bienvenida.",
        created_by_id=users[Role.owner].id,
    )
    session.add(agent_version)
    await session.flush()
    session.add(
        AgentStage(
            tenant_id=tenant.id,
            version_id=agent_version.id,
            position=1,
            name="Datos de la marca",
            goal="",
            prompt="",
            output_schema={
                "type": "object",
                "properties": {"nombre": {"type": "string", "description": "Nombre"}},
                "required": ["nombre"],
            },
            questions={},
        )
    )
    await session.flush()
    document = Document(
        tenant_id=tenant.id,
        filename="faq.txt",
        content_type="text/plain",
        language="es",
        size_bytes=42,
        sha256="0" * 64,
        status="ready",
        chunks=0,
        client_id=client.id,
        details={"progress": 100},
    )
    session.add(document)
    conversation = Conversation(
        tenant_id=tenant.id,
        agent_id=agent.id,
        prompt_version=1,
        client_id=client.id,
        user_id=users[Role.analyst].id,
        channel="api",
        stage_number=1,
        state={"asking": "nombre", "values": {}},
        outputs={},
        progress=0,
        is_complete=False,
        messages=2,
    )
    session.add(conversation)
    await session.flush()
    session.add_all(
        [
            Message(
                tenant_id=tenant.id,
                conversation_id=conversation.id,
                role=role,
                text=text,
                tools=[],
                sources=[],
            )
            for role, text in (("user", "Hola"), ("agent", "¿Cómo se llama la marca?"))
        ]
    )
    await session.flush()
    tokens = {
        role: create_access_token(settings, user_id=u.id, tenant_id=tenant.id)
        for role, u in users.items()
    }
    return TenantWorld(
        tenant=tenant,
        users=users,
        tokens=tokens,
        client=client,
        accounts=accounts,
        posts=posts,
        metrics=metrics,
        api_key=api_key,
        api_key_secret=secret,
        extra_user=extra,
        job=job,
        run=run,
        agents=[agent],
        conversations=[conversation],
        documents=[document],
    )


@pytest.fixture
async def tenant_a(session: AsyncSession, settings: Settings) -> TenantWorld:
    return await make_tenant(session, settings, "Agency A")


@pytest.fixture
async def tenant_b(session: AsyncSession, settings: Settings) -> TenantWorld:
    return await make_tenant(session, settings, "Agency B")


def assert_problem(response: object, status: int) -> dict[str, object]:
    """The response is RFC 9457 problem+json with the given status."""
    resp = response  # httpx.Response
    assert resp.status_code == status, resp.text  # type: ignore[attr-defined]
    assert resp.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    body = resp.json()  # type: ignore[attr-defined]
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"]
    assert isinstance(body["detail"], str)
    return body  # type: ignore[no-any-return]
