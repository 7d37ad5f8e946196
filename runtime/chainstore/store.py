"""SQL for task-chain definitions: JSON in, JSON out, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.db.dialect import insert
from runtime.db.paging import paged
from runtime.db.tables.chains import TaskChainRow
from runtime.errors import NotFoundError
from runtime.paging import PageRequest


def _missing(chain_id: str) -> NotFoundError:
    return NotFoundError(f"task chain {chain_id!r} not found", param="id")


async def upsert(session: AsyncSession, chain_id: str, definition: Any, now: datetime) -> None:
    """Store the chain; an existing one is overwritten and keeps its creation time.

    One statement (`INSERT ... ON CONFLICT DO UPDATE`): replicas seeding the same chains at
    start-up never collide on the key.
    """
    stmt = insert(session, TaskChainRow).values(
        id=chain_id, definition=definition, created_at=now, updated_at=now
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[TaskChainRow.id],
            set_={"definition": stmt.excluded.definition, "updated_at": stmt.excluded.updated_at},
        )
    )


async def get(session: AsyncSession, chain_id: str) -> Any:
    row = await session.get(TaskChainRow, chain_id)
    if row is None:
        raise _missing(chain_id)
    return row.definition


async def list_page(session: AsyncSession, page: PageRequest) -> list[Any]:
    stmt = paged(select(TaskChainRow), TaskChainRow.created_at, TaskChainRow.id, page)
    return [row.definition for row in await session.scalars(stmt)]


async def replace(session: AsyncSession, chain_id: str, definition: Any, now: datetime) -> None:
    row = await session.get(TaskChainRow, chain_id)
    if row is None:
        raise _missing(chain_id)
    row.definition, row.updated_at = definition, now
    await session.flush()


async def delete(session: AsyncSession, chain_id: str) -> None:
    row = await session.get(TaskChainRow, chain_id)
    if row is None:
        raise _missing(chain_id)
    await session.delete(row)
    await session.flush()
