"""SQL for chats, their messages and failed turns: rows in, frozen domain Structs out."""

from __future__ import annotations

from typing import Any, cast

import msgspec
from sqlalchemy import Table, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.chats.types import (
    Chat,
    Failure,
    Feedback,
    Message,
    Rating,
    Role,
    Status,
    Usage,
)
from runtime.db.paging import paged
from runtime.db.tables.chats import ChatFailureRow, ChatMessageRow, ChatRow
from runtime.errors import NotFoundError
from runtime.paging import PageRequest
from runtime.taskengine.ports import Source

_CHATS = cast(Table, ChatRow.__table__)
_MESSAGES = cast(Table, ChatMessageRow.__table__)
CHAT_COLUMNS = [
    _CHATS.c.id,
    _CHATS.c.subject,
    _CHATS.c.model,
    _CHATS.c.chain_id,
    _CHATS.c.owner,
    _CHATS.c.path,
    _CHATS.c.created_at,
    _CHATS.c.updated_at,
]


def chat_of(row: Any) -> Chat:
    return Chat(
        id=row.id,
        subject=row.subject,
        model=row.model,
        chain_id=row.chain_id,
        owner=row.owner,
        path=row.path,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _message(row: Any) -> Message:
    feedback = None
    if row.rating is not None and row.rated_at is not None:
        feedback = Feedback(
            rating=Rating(row.rating), comment=row.comment or "", created_at=row.rated_at
        )
    return Message(
        id=row.id,
        chat_id=row.chat_id,
        seq=row.seq,
        role=Role(row.role),
        content=row.content,
        status=Status(row.status),
        sources=msgspec.convert(row.sources, list[Source]) if row.sources else [],
        usage=Usage(prompt_tokens=row.prompt_tokens, completion_tokens=row.completion_tokens),
        feedback=feedback,
        created_at=row.created_at,
    )


def _failure(row: ChatFailureRow) -> Failure:
    return Failure(
        id=row.id,
        chat_id=row.chat_id,
        message=row.message,
        error=row.error,
        status=row.status,
        created_at=row.created_at,
    )


async def create_chat(session: AsyncSession, chat: Chat) -> Chat:
    session.add(
        ChatRow(
            id=chat.id,
            subject=chat.subject,
            model=chat.model,
            chain_id=chat.chain_id,
            owner=chat.owner,
            path=chat.path,
            version=0,
            created_at=chat.created_at,
            updated_at=chat.updated_at,
        )
    )
    await session.flush()
    return chat


async def get_chat(session: AsyncSession, chat_id: str) -> Chat:
    row = await session.get(ChatRow, chat_id)
    if row is None:
        raise NotFoundError(f"chat {chat_id!r} not found")
    return chat_of(row)


async def find_owner(session: AsyncSession, chat_id: str) -> str | None:
    """Who owns the chat; None when there is no such chat."""
    return await session.scalar(select(ChatRow.owner).where(ChatRow.id == chat_id))


async def list_chats(
    session: AsyncSession, page: PageRequest, shown: tuple[str, list[str]] | None = None
) -> list[Chat]:
    """A page of chats; with `shown` (an owner, chat ids), only theirs and those ones."""
    stmt = select(ChatRow)
    if shown is not None:
        owner, also = shown
        mine = ChatRow.owner == owner
        stmt = stmt.where(or_(mine, ChatRow.id.in_(also)) if also else mine)
    stmt = paged(stmt, ChatRow.created_at, ChatRow.id, page)
    return [chat_of(row) for row in await session.scalars(stmt)]


async def delete_chat(session: AsyncSession, chat_id: str) -> None:
    result = await session.execute(delete(ChatRow).where(ChatRow.id == chat_id))
    if not getattr(result, "rowcount", 0):
        raise NotFoundError(f"chat {chat_id!r} not found")


_MESSAGE_COLUMNS = [
    ChatMessageRow.id,
    ChatMessageRow.chat_id,
    ChatMessageRow.seq,
    ChatMessageRow.role,
    ChatMessageRow.content,
    ChatMessageRow.status,
    ChatMessageRow.sources,
    ChatMessageRow.prompt_tokens,
    ChatMessageRow.completion_tokens,
    ChatMessageRow.rating,
    ChatMessageRow.comment,
    ChatMessageRow.rated_at,
    ChatMessageRow.created_at,
]


async def list_messages(session: AsyncSession, chat_id: str) -> list[Message]:
    """Every message of the chat, in order (plain rows: no ORM identity map to fill)."""
    stmt = (
        select(*_MESSAGE_COLUMNS)
        .where(ChatMessageRow.chat_id == chat_id)
        .order_by(ChatMessageRow.seq)
    )
    return [_message(row) for row in await session.execute(stmt)]


async def list_failures(session: AsyncSession, chat_id: str, limit: int) -> list[Failure]:
    stmt = (
        select(ChatFailureRow)
        .where(ChatFailureRow.chat_id == chat_id)
        .order_by(ChatFailureRow.created_at.desc(), ChatFailureRow.id.desc())
        .limit(limit)
    )
    return [_failure(row) for row in await session.scalars(stmt)]


async def rate_message(
    session: AsyncSession, chat_id: str, message_id: str, feedback: Feedback
) -> Message:
    row = await session.get(ChatMessageRow, message_id)
    if row is None or row.chat_id != chat_id:
        raise NotFoundError(f"message {message_id!r} not found in chat {chat_id!r}")
    row.rating, row.comment, row.rated_at = (
        feedback.rating.value,
        feedback.comment,
        feedback.created_at,
    )
    await session.flush()
    return _message(row)
