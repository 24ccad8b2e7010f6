"""Every query of the chat domain; each filters by the tenant first."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.chat.models import Conversation, Message
from app.core.errors import NotFound
from app.core.scope import TenantScope


class ConversationRepository:
    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.session = session
        self.scope = scope

    async def get(self, conversation_id: uuid.UUID, *, lock: bool = False) -> Conversation:
        query = select(Conversation).where(
            Conversation.tenant_id == self.scope.tenant_id, Conversation.id == conversation_id
        )
        if lock:
            query = query.with_for_update()
        found = (await self.session.execute(query)).scalar_one_or_none()
        if found is None:
            raise NotFound("Conversation not found")
        return found

    async def latest_for_user(
        self, user_id: uuid.UUID, agent_id: uuid.UUID, channel: str
    ) -> Conversation | None:
        query = (
            select(Conversation)
            .where(
                Conversation.tenant_id == self.scope.tenant_id,
                Conversation.user_id == user_id,
                Conversation.agent_id == agent_id,
                Conversation.channel == channel,
            )
            .order_by(Conversation.updated_at.desc())
            .limit(1)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    def add(self, conversation: Conversation) -> Conversation:
        conversation.tenant_id = self.scope.tenant_id
        self.session.add(conversation)
        return conversation

    async def page(
        self,
        *,
        limit: int,
        offset: int,
        agent_id: uuid.UUID | None = None,
        client_id: uuid.UUID | None = None,
        contact_id: uuid.UUID | None = None,
        channel: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> tuple[list[Conversation], int]:
        query: Select[Any] = select(Conversation).where(
            Conversation.tenant_id == self.scope.tenant_id
        )
        for column, value in (
            (Conversation.agent_id, agent_id),
            (Conversation.client_id, client_id),
            (Conversation.contact_id, contact_id),
            (Conversation.channel, channel),
        ):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(Conversation.updated_at >= since)
        if until is not None:
            query = query.where(Conversation.updated_at < until)
        total = (
            await self.session.execute(select(func.count()).select_from(query.subquery()))
        ).scalar_one()
        rows = await self.session.execute(
            query.order_by(Conversation.updated_at.desc(), Conversation.id)
            .limit(limit)
            .offset(offset)
        )
        return list(rows.scalars()), int(total)


class MessageRepository:
    def __init__(self, session: AsyncSession, scope: TenantScope) -> None:
        self.session = session
        self.scope = scope

    def add(self, message: Message) -> Message:
        message.tenant_id = self.scope.tenant_id
        self.session.add(message)
        return message

    async def recent(self, conversation_id: uuid.UUID, limit: int) -> list[Message]:
        """The conversation's last `limit` messages that have text, oldest first."""
        rows = await self.session.execute(
            select(Message)
            .where(
                Message.tenant_id == self.scope.tenant_id,
                Message.conversation_id == conversation_id,
                Message.error.is_(None),
            )
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        )
        return list(reversed(list(rows.scalars())))

    async def page(
        self, conversation_id: uuid.UUID, *, limit: int, offset: int
    ) -> tuple[list[Message], int]:
        where = (
            Message.tenant_id == self.scope.tenant_id,
            Message.conversation_id == conversation_id,
        )
        total = (
            await self.session.execute(select(func.count()).select_from(Message).where(*where))
        ).scalar_one()
        rows = await self.session.execute(
            select(Message)
            .where(*where)
            .order_by(Message.created_at, Message.id)
            .limit(limit)
            .offset(offset)
        )
        return list(rows.scalars()), int(total)


async def count_turn(
    session: AsyncSession,
    scope: TenantScope,
    conversation_id: uuid.UUID,
    at: datetime,
    **values: Any,
) -> None:
    """Record a finished turn on its conversation: two more messages, and `values`."""
    await session.execute(
        update(Conversation)
        .where(Conversation.tenant_id == scope.tenant_id, Conversation.id == conversation_id)
        .values(messages=Conversation.messages + 2, last_message_at=at, updated_at=at, **values)
    )
