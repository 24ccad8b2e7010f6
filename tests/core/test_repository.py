"""The repository base: conflicts told by SQLSTATE, and one way to read a page."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.clients.models import SocialAccount
from app.core.db import Database, driver_connection
from app.core.errors import Conflict
from app.core.repository import flush_or_conflict, is_unique_violation
from app.core.scope import TenantScope
from app.tenants.models import User
from app.tenants.repository import UserRepository
from tests.factories import TenantWorld


def _account(w: TenantWorld, **over: Any) -> SocialAccount:
    values: dict[str, Any] = {
        "tenant_id": w.tenant.id,
        "client_id": w.client.id,
        "platform": "tiktok",
        "handle": f"h{uuid.uuid4().hex[:8]}",
    }
    return SocialAccount(**(values | over))


async def test_only_a_unique_violation_is_a_conflict(
    session: AsyncSession, tenant_a: TenantWorld
) -> None:
    taken = tenant_a.accounts[0]

    async def flush(account: SocialAccount) -> None:
        async with session.begin_nested():
            session.add(account)
            await flush_or_conflict(session, "taken")

    # The same platform and handle for the client: unique, 409.
    with pytest.raises(Conflict):
        await flush(_account(tenant_a, platform=taken.platform, handle=taken.handle))
    # A client that does not exist (foreign key), a platform outside the check
    # constraint: integrity errors, but not conflicts (a 500 and a log, not a 409), even
    # when the server's message quotes a value that reads "duplicate" or "unique".
    for account, sqlstate in (
        (_account(tenant_a, client_id=uuid.uuid4()), "23503"),
        (_account(tenant_a, platform="myspace", handle="duplicate_unique"), "23514"),
    ):
        with pytest.raises(IntegrityError) as raised:
            await flush(account)
        assert getattr(raised.value.orig, "sqlstate", None) == sqlstate
    assert is_unique_violation(asyncpg.UniqueViolationError("any text, any language"))
    assert not is_unique_violation(asyncpg.ForeignKeyViolationError("unique duplicate"))


class _FailingFlush:
    def __init__(self, orig: Exception) -> None:
        self.orig = orig

    async def flush(self) -> None:
        raise IntegrityError("INSERT INTO client ...", None, self.orig)


@pytest.mark.parametrize(
    ("orig", "conflict"),
    [
        # What PostgreSQL says with lc_messages = 'es_ES.UTF-8': still 23505.
        (asyncpg.UniqueViolationError("llave duplicada viola restricción de unicidad"), True),
        # A check whose name reads like a unique one: 23514, not a conflict.
        (asyncpg.CheckViolationError('violates check constraint "ck_unique_duplicate"'), False),
    ],
    ids=["unique-in-spanish", "check-named-unique"],
)
async def test_the_sqlstate_decides_not_the_message(orig: Exception, conflict: bool) -> None:
    session: Any = _FailingFlush(orig)
    expected = Conflict if conflict else IntegrityError
    with pytest.raises(expected):
        await flush_or_conflict(session, "taken")


async def test_driver_errors_are_told_by_sqlstate_too(
    session: AsyncSession, tenant_a: TenantWorld
) -> None:
    """The bulk paths (COPY, raw upserts) raise asyncpg's own exceptions."""
    driver = await driver_connection(session)
    insert = "INSERT INTO social_account (id, tenant_id, client_id, platform, handle) "
    insert += "VALUES ($1, $2, $3, $4, $5)"
    taken = tenant_a.accounts[0]
    async with session.begin_nested():
        with pytest.raises(asyncpg.PostgresError) as unique:
            await driver.execute(
                insert, uuid.uuid4(), tenant_a.tenant.id, tenant_a.client.id, "x", taken.handle
            )
    async with session.begin_nested():
        with pytest.raises(asyncpg.PostgresError) as foreign:
            await driver.execute(insert, uuid.uuid4(), tenant_a.tenant.id, uuid.uuid4(), "x", "a")
    assert is_unique_violation(unique.value)
    assert not is_unique_violation(foreign.value)


@pytest.fixture
def statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(database.engine.sync_engine, "before_cursor_execute", record)


async def test_a_page_is_ordered_counted_and_its_limit_inlined(
    session: AsyncSession, tenant_a: TenantWorld, statements: list[str]
) -> None:
    repo = UserRepository(session, TenantScope(tenant_a.tenant.id))
    everyone = sorted(
        [*tenant_a.users.values(), tenant_a.extra_user], key=lambda u: (u.created_at, u.id)
    )
    pages: list[User] = []
    for offset in range(0, len(everyone), 2):
        result, total = await repo.paginate(
            repo._scoped(), (User.created_at, User.id), limit=2, offset=offset
        )
        assert total == len(everyone)
        pages += result.scalars()
    assert [u.id for u in pages] == [u.id for u in everyone]
    # As numbers in the SQL, never as parameters (the generic plan must see them).
    assert any("LIMIT 2 OFFSET 4" in s for s in statements), statements
