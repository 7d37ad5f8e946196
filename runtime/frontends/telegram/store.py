"""SQL for Telegram frontends: configuration, the poller's lease and offset, chat mapping."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.db.paging import paged
from runtime.db.tables.chats import TelegramChatRow, TelegramFrontendRow
from runtime.errors import NotFoundError
from runtime.frontends.telegram.types import Frontend, FrontendStatus
from runtime.paging import PageRequest


def _frontend(row: TelegramFrontendRow) -> Frontend:
    return Frontend(
        id=row.id,
        user_id=row.user_id,
        chain_id=row.chain_id,
        description=row.description,
        bot_token=row.bot_token,
        status=FrontendStatus(row.status),
        last_error=row.last_error,
        last_poll_at=row.last_poll_at,
        update_offset=row.update_offset,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def create_frontend(session: AsyncSession, frontend: Frontend) -> Frontend:
    session.add(
        TelegramFrontendRow(
            id=frontend.id,
            user_id=frontend.user_id,
            chain_id=frontend.chain_id,
            description=frontend.description,
            bot_token=frontend.bot_token,
            status=frontend.status.value,
            last_error=frontend.last_error,
            last_poll_at=frontend.last_poll_at,
            update_offset=frontend.update_offset,
            created_at=frontend.created_at,
            updated_at=frontend.updated_at,
        )
    )
    await session.flush()
    return frontend


async def get_frontend(session: AsyncSession, frontend_id: str) -> Frontend:
    row = await session.get(TelegramFrontendRow, frontend_id)
    if row is None:
        raise NotFoundError(f"telegram frontend {frontend_id!r} not found")
    return _frontend(row)


async def list_frontends(
    session: AsyncSession, page: PageRequest, user_id: str | None = None
) -> list[Frontend]:
    stmt = select(TelegramFrontendRow)
    if user_id is not None:
        stmt = stmt.where(TelegramFrontendRow.user_id == user_id)
    stmt = paged(stmt, TelegramFrontendRow.created_at, TelegramFrontendRow.id, page)
    return [_frontend(row) for row in await session.scalars(stmt)]


async def update_frontend(session: AsyncSession, frontend: Frontend) -> Frontend:
    """Write the configuration (and status and offset) of an existing frontend."""
    row = await session.get(TelegramFrontendRow, frontend.id)
    if row is None:
        raise NotFoundError(f"telegram frontend {frontend.id!r} not found")
    row.user_id, row.chain_id, row.description = (
        frontend.user_id,
        frontend.chain_id,
        frontend.description,
    )
    row.bot_token, row.status, row.last_error = (
        frontend.bot_token,
        frontend.status.value,
        frontend.last_error,
    )
    row.update_offset, row.updated_at = frontend.update_offset, frontend.updated_at
    await session.flush()
    return _frontend(row)


async def delete_frontend(session: AsyncSession, frontend_id: str) -> None:
    stmt = delete(TelegramFrontendRow).where(TelegramFrontendRow.id == frontend_id)
    result = await session.execute(stmt)
    if not getattr(result, "rowcount", 0):
        raise NotFoundError(f"telegram frontend {frontend_id!r} not found")


async def claimable(session: AsyncSession, now: datetime, limit: int) -> list[str]:
    """Ids of frontends no live lease holds."""
    free = or_(TelegramFrontendRow.lease_owner.is_(None), TelegramFrontendRow.lease_until < now)
    stmt = select(TelegramFrontendRow.id).where(free).order_by(TelegramFrontendRow.id)
    return list(await session.scalars(stmt.limit(limit)))


async def take_lease(
    session: AsyncSession, frontend_id: str, owner: str, now: datetime, until: datetime
) -> bool:
    """Take or renew the frontend's lease: one conditional UPDATE, so one holder at a time."""
    mine_or_free = or_(
        TelegramFrontendRow.lease_owner.is_(None),
        TelegramFrontendRow.lease_owner == owner,
        TelegramFrontendRow.lease_until < now,
    )
    stmt = (
        update(TelegramFrontendRow)
        .where(TelegramFrontendRow.id == frontend_id, mine_or_free)
        .values(lease_owner=owner, lease_until=until)
    )
    return bool(getattr(await session.execute(stmt), "rowcount", 0))


async def release_lease(session: AsyncSession, frontend_id: str, owner: str) -> None:
    stmt = (
        update(TelegramFrontendRow)
        .where(TelegramFrontendRow.id == frontend_id, TelegramFrontendRow.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )
    await session.execute(stmt)


async def record_poll(
    session: AsyncSession,
    frontend_id: str,
    owner: str,
    now: datetime,
    status: FrontendStatus,
    error: str,
) -> None:
    """The outcome of a poll, written only while `owner` holds the lease."""
    stmt = (
        update(TelegramFrontendRow)
        .where(TelegramFrontendRow.id == frontend_id, TelegramFrontendRow.lease_owner == owner)
        .values(status=status.value, last_error=error, last_poll_at=now)
    )
    await session.execute(stmt)


async def advance_offset(session: AsyncSession, frontend_id: str, owner: str, offset: int) -> bool:
    """Move the offset forward while `owner` holds the lease; False when it lost it."""
    stmt = (
        update(TelegramFrontendRow)
        .where(
            TelegramFrontendRow.id == frontend_id,
            TelegramFrontendRow.lease_owner == owner,
            TelegramFrontendRow.update_offset < offset,
        )
        .values(update_offset=offset)
    )
    return bool(getattr(await session.execute(stmt), "rowcount", 0))


async def find_chat(session: AsyncSession, frontend_id: str, telegram_chat_id: int) -> str | None:
    row = await session.get(TelegramChatRow, (frontend_id, telegram_chat_id))
    return None if row is None else row.chat_id


async def map_chat(
    session: AsyncSession, frontend_id: str, telegram_chat_id: int, chat_id: str
) -> None:
    session.add(
        TelegramChatRow(frontend_id=frontend_id, telegram_chat_id=telegram_chat_id, chat_id=chat_id)
    )
    await session.flush()
