"""SQL for trigger deliveries (durable jobs with leases) and the records of function runs.

A job is written in the same transaction as the event it delivers, so a stored event is never
without its deliveries. A job is deleted in the transaction that records its final run.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import bindparam, delete, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.db.base import JSONType, UTCDateTime
from runtime.db.dialect import is_postgres
from runtime.db.tables.functions import FunctionJobRow, FunctionRow, FunctionRunRow, TriggerRow
from runtime.functions.types import Job, Run
from runtime.nul import escape_nul
from runtime.sandbox import RunStatus

_JOBS = FunctionJobRow.metadata.tables["function_jobs"]
# one cached statement: a job for every trigger listening for the event's type
_ENQUEUE = insert(_JOBS).from_select(
    [
        "trigger_name",
        "function_name",
        "event_nid",
        "event",
        "depth",
        "attempts",
        "not_before",
        "created_at",
    ],
    select(
        TriggerRow.name,
        TriggerRow.function_name,
        bindparam("nid"),
        bindparam("event", type_=JSONType),
        bindparam("depth"),
        literal(0),
        bindparam("now", type_=UTCDateTime()),
        bindparam("now", type_=UTCDateTime()),
    ).where(TriggerRow.listen_for_type == bindparam("event_type")),
)


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    """An appended event whose triggers get a job each."""

    nid: int
    event_type: str
    event: dict[str, Any]
    depth: int


async def enqueue(session: AsyncSession, deliveries: list[Delivery], now: datetime) -> int:
    """Jobs for every trigger of each event's type, in one statement (executemany).

    Returns how many jobs were written, or -1 when the driver cannot tell.
    """
    params = [msgspec.structs.asdict(d) | {"now": now} for d in deliveries]
    result = await session.execute(_ENQUEUE, params)
    count = getattr(result, "rowcount", -1)
    return -1 if count is None else int(count)


async def claim(
    session: AsyncSession, owner: str, now: datetime, lease: timedelta
) -> tuple[Job, str] | None:
    """The oldest due job (or one whose lease ran out) with its function's script."""
    due = (FunctionJobRow.not_before <= now) & or_(
        FunctionJobRow.lease_until.is_(None), FunctionJobRow.lease_until < now
    )
    stmt = select(FunctionJobRow).where(due).order_by(FunctionJobRow.id).limit(1)
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    row = await session.scalar(stmt)
    if row is None:
        return None
    function = await session.get(FunctionRow, row.function_name)
    if function is None:  # the trigger now points elsewhere or is gone: nothing to run
        await session.delete(row)
        await session.flush()
        return None
    row.lease_owner, row.lease_until = owner, now + lease
    row.attempts += 1
    await session.flush()
    job = Job(
        id=row.id,
        trigger_name=row.trigger_name,
        function_name=row.function_name,
        event=row.event,
        depth=row.depth,
        attempts=row.attempts,
    )
    return job, function.script


async def finish(session: AsyncSession, job: Job, owner: str) -> bool:
    """Delete the job if `owner` still holds it; False when another worker took it over."""
    result = await session.execute(
        delete(FunctionJobRow).where(
            FunctionJobRow.id == job.id, FunctionJobRow.lease_owner == owner
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def retry_later(session: AsyncSession, job: Job, owner: str, when: datetime) -> bool:
    """Hand the job back, due again at `when`; False when another worker took it over."""
    result = await session.execute(
        update(FunctionJobRow)
        .where(FunctionJobRow.id == job.id, FunctionJobRow.lease_owner == owner)
        .values(not_before=when, lease_owner=None, lease_until=None)
    )
    return bool(getattr(result, "rowcount", 0))


async def release(session: AsyncSession, job: Job, owner: str) -> None:
    """Give a job back untouched (shutdown): its attempt does not count."""
    await session.execute(
        update(FunctionJobRow)
        .where(FunctionJobRow.id == job.id, FunctionJobRow.lease_owner == owner)
        .values(lease_owner=None, lease_until=None, attempts=FunctionJobRow.attempts - 1)
    )


async def pending(session: AsyncSession) -> int:
    """Deliveries not yet finished (due, leased or waiting for a retry)."""
    return int(await session.scalar(select(func.count()).select_from(FunctionJobRow)) or 0)


async def record_run(session: AsyncSession, run: Run, *, keep: int) -> None:
    r"""Store the run; the function's runs beyond its newest `keep` are deleted.

    NUL in its output (PostgreSQL cannot store it) is kept as the text `\u0000`.
    """
    output = {name: escape_nul(getattr(run, name)) for name in ("error", "logs", "result")}
    values = msgspec.structs.asdict(run) | output | {"status": run.status.value}
    await session.execute(insert(FunctionRunRow), [values])
    mine = FunctionRunRow.function_name == run.function_name
    oldest_kept = (
        select(FunctionRunRow.started_at)
        .where(mine)
        .order_by(FunctionRunRow.started_at.desc())
        .offset(keep - 1)
        .limit(1)
        .scalar_subquery()
    )
    # fewer than `keep` runs: the subquery is NULL and nothing compares below it
    older = FunctionRunRow.started_at < oldest_kept
    await session.execute(delete(FunctionRunRow).where(mine, older))


async def list_runs(session: AsyncSession, function: str, limit: int) -> list[Run]:
    stmt = (
        select(FunctionRunRow)
        .where(FunctionRunRow.function_name == function)
        .order_by(FunctionRunRow.started_at.desc(), FunctionRunRow.id.desc())
        .limit(limit)
    )
    return [
        Run(
            id=row.id,
            function_name=row.function_name,
            trigger_name=row.trigger_name,
            event_id=row.event_id,
            event_type=row.event_type,
            attempt=row.attempt,
            status=RunStatus(row.status),
            started_at=row.started_at,
            duration_ms=row.duration_ms,
            error=row.error,
            logs=list(row.logs),
            result=row.result,
        )
        for row in await session.scalars(stmt)
    ]
