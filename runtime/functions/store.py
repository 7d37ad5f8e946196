"""SQL for function and trigger definitions: rows in, frozen domain Structs out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.db.caps import count_for_cap
from runtime.db.errors import translate
from runtime.db.paging import paged
from runtime.db.tables.functions import FunctionRow, TriggerRow
from runtime.errors import ConflictError, NotFoundError
from runtime.functions.types import Function, Trigger
from runtime.paging import PageRequest


def _function(row: FunctionRow) -> Function:
    return Function(
        name=row.name,
        description=row.description,
        script_type=row.script_type,
        script=row.script,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _trigger(row: TriggerRow) -> Trigger:
    return Trigger(
        name=row.name,
        description=row.description,
        listen_for=row.listen_for_type,
        type=row.trigger_type,
        function=row.function_name,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def count_functions(session: AsyncSession) -> int:
    """How many there are, under the row-cap lock (`runtime.db.caps`): then insert."""
    return await count_for_cap(session, FunctionRow)


async def create_function(session: AsyncSession, fn: Function, now: datetime) -> Function:
    session.add(
        FunctionRow(
            name=fn.name,
            description=fn.description,
            script_type=fn.script_type,
            script=fn.script,
            created_at=now,
            updated_at=now,
        )
    )
    with translate(f"a function named {fn.name!r} already exists"):
        await session.flush()
    return await get_function(session, fn.name)


async def get_function(session: AsyncSession, name: str) -> Function:
    row = await session.get(FunctionRow, name)
    if row is None:
        raise NotFoundError(f"function {name!r} not found")
    return _function(row)


async def list_functions(session: AsyncSession, page: PageRequest) -> list[Function]:
    stmt = paged(select(FunctionRow), FunctionRow.created_at, FunctionRow.name, page)
    return [_function(row) for row in await session.scalars(stmt)]


async def update_function(session: AsyncSession, fn: Function, now: datetime) -> Function | None:
    """The updated function, or None when there is no function of that name."""
    row = await session.get(FunctionRow, fn.name)
    if row is None:
        return None
    row.description, row.script_type, row.script = fn.description, fn.script_type, fn.script
    row.updated_at = now
    await session.flush()
    return _function(row)


async def delete_function(session: AsyncSession, name: str) -> None:
    """Delete the function; its triggers, pending deliveries and runs go with it."""
    row = await session.get(FunctionRow, name)
    if row is None:
        raise NotFoundError(f"function {name!r} not found")
    await session.delete(row)
    await session.flush()


async def count_triggers(session: AsyncSession) -> int:
    """How many there are, under the row-cap lock (`runtime.db.caps`): then insert."""
    return await count_for_cap(session, TriggerRow)


def _trigger_row(trigger: Trigger, now: datetime) -> TriggerRow:
    return TriggerRow(
        name=trigger.name,
        description=trigger.description,
        listen_for_type=trigger.listen_for,
        trigger_type=trigger.type,
        function_name=trigger.function,
        created_at=now,
        updated_at=now,
    )


async def create_trigger(session: AsyncSession, trigger: Trigger, now: datetime) -> Trigger:
    if await session.get(FunctionRow, trigger.function) is None:
        raise _unknown_function(trigger.function)
    session.add(_trigger_row(trigger, now))
    with translate(f"an event trigger named {trigger.name!r} already exists"):
        await session.flush()
    return await get_trigger(session, trigger.name)


def _unknown_function(name: str) -> ConflictError:
    return ConflictError(f"function {name!r} does not exist", param="function")


async def get_trigger(session: AsyncSession, name: str) -> Trigger:
    row = await session.get(TriggerRow, name)
    if row is None:
        raise NotFoundError(f"event trigger {name!r} not found")
    return _trigger(row)


async def list_triggers(
    session: AsyncSession,
    page: PageRequest,
    *,
    event_type: str | None = None,
    function: str | None = None,
) -> list[Trigger]:
    stmt = select(TriggerRow)
    if event_type is not None:
        stmt = stmt.where(TriggerRow.listen_for_type == event_type)
    if function is not None:
        stmt = stmt.where(TriggerRow.function_name == function)
    stmt = paged(stmt, TriggerRow.created_at, TriggerRow.name, page)
    return [_trigger(row) for row in await session.scalars(stmt)]


async def update_trigger(session: AsyncSession, trigger: Trigger, now: datetime) -> Trigger | None:
    """The updated trigger, or None when there is no trigger of that name."""
    row = await session.get(TriggerRow, trigger.name)
    if row is None:
        return None
    if await session.get(FunctionRow, trigger.function) is None:
        raise _unknown_function(trigger.function)
    row.description, row.listen_for_type = trigger.description, trigger.listen_for
    row.trigger_type, row.function_name = trigger.type, trigger.function
    row.updated_at = now
    await session.flush()
    return _trigger(row)


async def delete_trigger(session: AsyncSession, name: str) -> None:
    row = await session.get(TriggerRow, name)
    if row is None:
        raise NotFoundError(f"event trigger {name!r} not found")
    await session.delete(row)
    await session.flush()
