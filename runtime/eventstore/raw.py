"""SQL for raw events: append (once per source event id and path), list, get by nid."""

from __future__ import annotations

import msgspec
from sqlalchemy import insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from runtime import errors
from runtime.db.tables.events import RawEventRow
from runtime.eventstore.types import RawEvent, TimeRange

_TABLE = RawEventRow.metadata.tables["raw_events"]
_INSERT = insert(_TABLE).returning(_TABLE.c.nid, sort_by_parameter_order=True)
Key = tuple[str, str]  # (path, source event id)


def _raw(row: RawEventRow) -> RawEvent:
    return RawEvent(
        id=row.id,
        nid=row.nid,
        received_at=row.received_at,
        path=row.path,
        headers=row.headers,
        payload=row.payload,
    )


async def find_by_source_ids(session: AsyncSession, keys: list[Key]) -> dict[Key, RawEvent]:
    """The raw events already stored under these (path, source event id) pairs."""
    if not keys:
        return {}
    rows = await session.scalars(
        select(RawEventRow).where(tuple_(RawEventRow.path, RawEventRow.source_event_id).in_(keys))
    )
    return {(row.path, row.source_event_id or ""): _raw(row) for row in rows}


async def append_raws(
    session: AsyncSession, raws: list[tuple[RawEvent, str | None]]
) -> list[RawEvent]:
    """Store the payloads (each with its source event id, if any); returns them with `nid`s."""
    if not raws:
        return []
    rows = []
    for raw, source_id in raws:
        values = msgspec.structs.asdict(raw)
        del values["nid"]
        values["source_event_id"] = source_id
        rows.append(values)
    nids = (await session.execute(_INSERT, rows)).scalars().all()
    return [msgspec.structs.replace(r, nid=n) for (r, _), n in zip(raws, nids, strict=True)]


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
