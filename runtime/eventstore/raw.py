"""SQL for raw events: append (once per source event id and path), list, get by nid."""

from __future__ import annotations

import msgspec
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from runtime import errors
from runtime.db.tables.events import RawEventRow
from runtime.eventstore.types import RawEvent, TimeRange

_TABLE = RawEventRow.metadata.tables["raw_events"]
_INSERT = insert(_TABLE).returning(_TABLE.c.nid)


def _raw(row: RawEventRow) -> RawEvent:
    return RawEvent(
        id=row.id,
        nid=row.nid,
        received_at=row.received_at,
        path=row.path,
        headers=row.headers,
        payload=row.payload,
    )


async def find_by_source_id(session: AsyncSession, path: str, source_id: str) -> RawEvent | None:
    row = await session.scalar(
        select(RawEventRow).where(
            RawEventRow.path == path, RawEventRow.source_event_id == source_id
        )
    )
    return None if row is None else _raw(row)


async def append_raw(
    session: AsyncSession, raw: RawEvent, source_id: str | None = None
) -> RawEvent:
    values = msgspec.structs.asdict(raw)
    del values["nid"]
    values["source_event_id"] = source_id
    nid = (await session.execute(_INSERT, values)).scalar_one()
    return msgspec.structs.replace(raw, nid=nid)


async def list_raw(session: AsyncSession, span: TimeRange) -> list[RawEvent]:
    rows = await session.scalars(
        select(RawEventRow)
        .where(RawEventRow.received_at.between(span.start, span.end))
        .order_by(RawEventRow.received_at.desc(), RawEventRow.nid.desc())
        .limit(span.limit)
    )
    return [_raw(row) for row in rows]


async def get_raw(session: AsyncSession, nid: int, span: TimeRange) -> RawEvent:
    row = await session.scalar(
        select(RawEventRow).where(
            RawEventRow.nid == nid, RawEventRow.received_at.between(span.start, span.end)
        )
    )
    if row is None:
        raise errors.NotFoundError(f"raw event not found (nid={nid})")
    return _raw(row)
