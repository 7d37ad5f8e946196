"""Events on PostgreSQL live in day partitions created on demand; SQLite keeps one table."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from runtime import errors
from runtime.db import Database
from runtime.db.migrate import _run, upgrade
from runtime.eventstore import EventBus, EventService, NewEvent
from runtime.eventstore.partitions import partition_ddl


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


def event(created_at: datetime, event_id: str = "") -> NewEvent:
    return NewEvent(
        id=event_id,
        created_at=created_at,
        event_type="order.created",
        event_source="shop",
        aggregate_id="o-1",
        aggregate_type="order",
        version=1,
        data={},
    )


async def where(db: Database, nid: int) -> str:
    async with db.transaction() as session:
        found = await session.scalar(
            text("SELECT tableoid::regclass::text FROM events WHERE nid = :nid"), {"nid": nid}
        )
    return str(found)


async def test_events_land_in_the_partition_of_their_day(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite keeps one events table")
    now = datetime.now(UTC)
    service = EventService(db, EventBus(), clock=lambda: now)
    stored = await service.append(event(now))
    assert await where(db, stored.nid) == f"events_p_{now:%Y%m%d}"
    # an event minutes past midnight of the next day (allowed by the ±10 minute window)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    late = EventService(db, EventBus(), clock=lambda: midnight)
    stored = await late.append(event(midnight + timedelta(minutes=5)))
    assert await where(db, stored.nid) == f"events_p_{midnight:%Y%m%d}"


async def test_a_day_whose_partition_cannot_be_made_still_stores_its_events(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite keeps one events table")
    day = datetime(2031, 1, 2, 12, tzinfo=UTC)
    async with db.transaction() as session:  # a row of that day already in the default partition
        await session.execute(
            text(
                "INSERT INTO events (id, created_at, created_day, event_type, event_source, "
                "aggregate_id, aggregate_type, version, data, metadata) VALUES ('x', :at, :day, "
                "'t', 's', 'a', 'b', 1, '{}', '{}')"
            ),
            {"at": day.replace(tzinfo=None), "day": day.date()},
        )
    service = EventService(db, EventBus(), clock=lambda: day)
    stored = await service.append(event(day))
    assert await where(db, stored.nid) == "events_default"
    async with db.transaction() as session:
        await session.execute(text("DELETE FROM events"))
    assert "events_p_20310102" in partition_ddl(day.date())


async def test_the_same_event_id_conflicts_within_the_same_moment(db: Database) -> None:
    now = datetime.now(UTC)
    service = EventService(db, EventBus(), clock=lambda: now)
    await service.append(event(now, "e-1"))
    with pytest.raises(errors.ConflictError):
        await service.append(event(now, "e-1"))


async def _migrate(url: str, action: str, revision: str) -> None:
    if action == "upgrade":
        await upgrade(url, revision)
        return
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        await conn.run_sync(_run, action, revision)
        await conn.commit()
    await engine.dispose()


async def test_stored_events_survive_the_move_to_day_partitions_and_back(
    fresh_database_url: str,
) -> None:
    url = fresh_database_url
    await _migrate(url, "upgrade", "0007")
    now = datetime.now(UTC).replace(tzinfo=None)
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        for n, at in enumerate((now - timedelta(days=3), now)):
            await conn.execute(
                text(
                    "INSERT INTO events (id, created_at, event_type, event_source, aggregate_id, "
                    "aggregate_type, version, data, metadata) VALUES (:id, :at, 't', 's', 'a', "
                    "'b', 1, '{}', '{}')"
                ),
                {"id": f"e{n}", "at": at},
            )
    await _migrate(url, "upgrade", "head")
    async with engine.begin() as conn:
        rows = (await conn.execute(text("SELECT id, created_day FROM events ORDER BY id"))).all()
        assert [(r[0], str(r[1])) for r in rows] == [
            ("e0", str((now - timedelta(days=3)).date())),
            ("e1", str(now.date())),
        ]
        if conn.dialect.name == "postgresql":
            homes = await conn.execute(text("SELECT tableoid::regclass::text FROM events"))
            assert sorted(h[0] for h in homes) == sorted(
                f"events_p_{d:%Y%m%d}" for d in (now - timedelta(days=3), now)
            )
    await _migrate(url, "downgrade", "0007")
    async with engine.begin() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM events"))).scalar_one() == 2
    await engine.dispose()
