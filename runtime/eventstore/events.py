"""SQL for domain events: append, and queries by type, aggregate and source within a range."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import msgspec
from sqlalchemy import Select, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.db.errors import translate
from runtime.db.tables.events import EventRow
from runtime.eventstore.types import Event, TimeRange

_TABLE = EventRow.metadata.tables["events"]
# one cached Core statement with bound parameters, sent as one multi-row INSERT for a batch:
# an ORM insert per event (value coercion of the JSON columns) cost more than the insert
_INSERT = insert(_TABLE).returning(_TABLE.c.nid, sort_by_parameter_order=True)


def _event(row: EventRow) -> Event:
    return Event(
        id=row.id,
        nid=row.nid,
        created_at=row.created_at,
        event_type=row.event_type,
        event_source=row.event_source,
        aggregate_id=row.aggregate_id,
        aggregate_type=row.aggregate_type,
        version=row.version,
        data=row.data,
        metadata=row.metadata_,
    )


async def append_events(session: AsyncSession, events: list[Event]) -> list[Event]:
    """Store the events; returns them with their `nid`s, in order. A repeated id is a conflict."""
    if not events:
        return []
    rows = []
    for event in events:
        params = msgspec.structs.asdict(event)
        del params["nid"]
        params["created_day"] = event.created_at.astimezone(UTC).date()
        rows.append(params)
    which = f"an event with id {events[0].id!r}" if len(events) == 1 else "an event"
    with translate(f"{which} of this type and source already exists"):
        nids = (await session.execute(_INSERT, rows)).scalars().all()
    return [msgspec.structs.replace(e, nid=n) for e, n in zip(events, nids, strict=True)]


async def find_event(session: AsyncSession, nid: int) -> Event | None:
    row = await session.get(EventRow, nid)
    return None if row is None else _event(row)


def _days(span: TimeRange) -> Any:
    """The days of the range: lets PostgreSQL skip the partitions of other days."""
    return EventRow.created_day.between(
        span.start.astimezone(UTC).date(), span.end.astimezone(UTC).date()
    )


def _within(stmt: Select[Any], span: TimeRange) -> Select[Any]:
    return (
        stmt.where(_days(span), EventRow.created_at.between(span.start, span.end))
        .order_by(EventRow.created_at.desc(), EventRow.version.desc(), EventRow.nid.desc())
        .limit(span.limit)
    )


async def list_events(session: AsyncSession, span: TimeRange, **equal: str) -> list[Event]:
    """Events in the range whose columns equal the given values, newest first."""
    stmt = select(EventRow)
    for column, value in equal.items():
        stmt = stmt.where(getattr(EventRow, column) == value)
    return [_event(row) for row in await session.scalars(_within(stmt, span))]


async def list_event_types(session: AsyncSession, span: TimeRange) -> list[str]:
    stmt = (
        select(EventRow.event_type)
        .where(_days(span), EventRow.created_at.between(span.start, span.end))
        .distinct()
        .order_by(EventRow.event_type)
        .limit(span.limit)
    )
    return list(await session.scalars(stmt))


async def delete_events(session: AsyncSession, event_type: str, span: TimeRange) -> None:
    await session.execute(
        delete(EventRow).where(
            EventRow.event_type == event_type,
            _days(span),
            EventRow.created_at.between(span.start, span.end),
        )
    )
