"""SQL for remote hooks: rows in, frozen domain Structs out."""

from __future__ import annotations

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.db.caps import count_for_cap
from runtime.db.errors import translate
from runtime.db.paging import paged
from runtime.db.tables.hooks import RemoteHookRow
from runtime.errors import NotFoundError
from runtime.hooks.types import InjectionArg, RemoteHook
from runtime.paging import PageRequest

_TAKEN = "a remote hook with this name or id already exists"


def _hook(row: RemoteHookRow) -> RemoteHook:
    return RemoteHook(
        id=row.id,
        name=row.name,
        endpoint_url=row.endpoint_url,
        timeout_ms=row.timeout_ms,
        headers=dict(row.headers or {}),
        properties=msgspec.convert(row.properties or {}, InjectionArg),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _missing(hook_id: str) -> NotFoundError:
    return NotFoundError(f"remote hook {hook_id!r} not found")


async def count_hooks(session: AsyncSession) -> int:
    """How many there are, under the row-cap lock (`runtime.db.caps`): then insert."""
    return await count_for_cap(session, RemoteHookRow)


async def create_hook(session: AsyncSession, hook: RemoteHook) -> RemoteHook:
    session.add(
        RemoteHookRow(
            id=hook.id,
            name=hook.name,
            endpoint_url=hook.endpoint_url,
            timeout_ms=hook.timeout_ms,
            headers=hook.headers,
            properties=msgspec.to_builtins(hook.properties),
            created_at=hook.created_at,
            updated_at=hook.updated_at,
        )
    )
    with translate(_TAKEN):
        await session.flush()
    return hook


async def get_hook(session: AsyncSession, hook_id: str) -> RemoteHook:
    row = await session.get(RemoteHookRow, hook_id)
    if row is None:
        raise _missing(hook_id)
    return _hook(row)


async def find_hook_by_name(session: AsyncSession, name: str) -> RemoteHook | None:
    row = await session.scalar(select(RemoteHookRow).where(RemoteHookRow.name == name))
    return None if row is None else _hook(row)


async def list_hooks(session: AsyncSession, page: PageRequest) -> list[RemoteHook]:
    stmt = paged(select(RemoteHookRow), RemoteHookRow.created_at, RemoteHookRow.id, page)
    return [_hook(row) for row in await session.scalars(stmt)]


async def list_all_hooks(session: AsyncSession) -> list[RemoteHook]:
    """Every hook, by name."""
    stmt = select(RemoteHookRow).order_by(RemoteHookRow.name)
    return [_hook(row) for row in await session.scalars(stmt)]


async def update_hook(session: AsyncSession, hook: RemoteHook) -> RemoteHook:
    row = await session.get(RemoteHookRow, hook.id)
    if row is None:
        raise _missing(hook.id)
    row.name, row.endpoint_url, row.timeout_ms = hook.name, hook.endpoint_url, hook.timeout_ms
    row.headers = hook.headers
    row.properties = msgspec.to_builtins(hook.properties)
    row.updated_at = hook.updated_at
    with translate(_TAKEN):
        await session.flush()
    return _hook(row)


async def delete_hook(session: AsyncSession, hook_id: str) -> None:
    result = await session.execute(delete(RemoteHookRow).where(RemoteHookRow.id == hook_id))
    if getattr(result, "rowcount", 0) == 0:
        raise _missing(hook_id)
