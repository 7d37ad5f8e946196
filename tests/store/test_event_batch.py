"""A batch of appends in one transaction: every item gets back its own rows' nids."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from runtime.db import Database
from runtime.db.tables.events import EventRow, RawEventRow
from runtime.eventstore import batch
from runtime.eventstore.partitions import Partitions
from runtime.eventstore.types import Event, RawEvent


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


def item(n: int, now: datetime) -> batch.Item:
    raw = RawEvent(id=f"raw-{n}", nid=0, received_at=now, path="p", headers={}, payload={"n": n})
    event = Event(
        id=f"ev-{n}",
        nid=0,
        created_at=now,
        event_type="t",
        event_source="s",
        aggregate_id=str(n),
        aggregate_type="a",
        version=1,
        data={"n": n},
        metadata={},
    )
    # every third item has no event (a payload that did not map), every fifth no raw payload
    return batch.Item(
        event=None if n % 3 == 0 else event,
        raw=None if n % 5 == 0 else raw,
        source_id=f"s-{n % 7}" if n % 2 else None,
    )


async def test_each_item_gets_the_nids_of_its_own_rows(db: Database) -> None:
    now = datetime.now(UTC)
    await Partitions(db).ensure([now])
    items = [item(n, now) for n in range(1, 60)]
    async with db.transaction() as session:
        stored = await batch.store(session, items, [])
    async with db.transaction() as session:
        events = {r.nid: r.id for r in await session.scalars(select(EventRow))}
        raws = {r.nid: r.id for r in await session.scalars(select(RawEventRow))}
    first_of: dict[str, int] = {}
    for n, (given, got) in enumerate(zip(items, stored, strict=True), start=1):
        if given.raw is None:
            assert got.raw is None
        elif given.source_id is not None and given.source_id in first_of:
            # a repeat of an earlier source id in the batch: answered with that one's payload
            assert got.raw == stored[first_of[given.source_id] - 1].raw
            assert got.event is None
            continue
        else:
            assert got.raw is not None
            assert raws[got.raw.nid] == given.raw.id == got.raw.id
            if given.source_id is not None:
                first_of[given.source_id] = n
        if given.event is None:
            assert got.event is None
        else:
            assert got.event is not None
            assert events[got.event.nid] == given.event.id == got.event.id
    assert len(events) == sum(1 for s in stored if s.event is not None)
