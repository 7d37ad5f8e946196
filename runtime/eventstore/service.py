"""EventService: append domain events (validated, then published) and query them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from runtime import errors
from runtime.db import Database
from runtime.db.group import GroupCommit
from runtime.eventstore import batch
from runtime.eventstore import events as store
from runtime.eventstore.batch import Follower, Item, Stored
from runtime.eventstore.partitions import Partitions
from runtime.eventstore.stream import EventBus
from runtime.eventstore.types import Event, NewEvent, TimeRange
from runtime.observability import metrics

WINDOW = timedelta(minutes=10)
MAX_LIMIT = 1000
MAX_EVENT_BYTES = 1024 * 1024  # data and metadata of one event, as JSON
MAX_ANSWER_BYTES = 16 * 1024 * 1024  # the events of one query answer, as JSON


def _size(value: object) -> int:
    return len(msgspec.json.encode(value))


def _required(value: str, name: str) -> None:
    if not value.strip():
        raise errors.InvalidInputError(f"missing required field: {name} is required", param=name)


def validate(event: NewEvent, now: datetime) -> datetime:
    """Check an event to append; return its creation time (now when not given)."""
    _required(event.event_type, "event_type")
    _required(event.aggregate_id, "aggregate_id")
    _required(event.aggregate_type, "aggregate_type")
    if event.version <= 0:
        raise errors.InvalidInputError(
            "invalid parameter: version must be greater than 0", param="version"
        )
    created = event.created_at or now
    if created < now - WINDOW:
        raise errors.InvalidInputError("event is too old", param="created_at")
    if created > now + WINDOW:
        raise errors.InvalidInputError("event is too new", param="created_at")
    return created


def check_range(span: TimeRange) -> None:
    if span.start > span.end:
        raise errors.InvalidInputError(
            f"invalid time range: 'from' ({span.start.isoformat()}) is after 'to' "
            f"({span.end.isoformat()})",
            param="from",
        )
    if span.limit > MAX_LIMIT:
        raise errors.InvalidInputError(
            f"invalid parameter: limit cannot exceed {MAX_LIMIT}, got {span.limit}", param="limit"
        )


class EventService:
    """The event store as the API, ingestion and functions use it."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        followers: Sequence[Follower] = (),
    ) -> None:
        self._db = db
        self._bus = bus
        self._clock = clock
        self._followers = tuple(followers)
        self._group: GroupCommit[Item, Stored] = GroupCommit(db, self._store)
        self._partitions = Partitions(db)

    async def append(self, new: NewEvent, *, depth: int = 0) -> Event:
        """Store the event (and its trigger deliveries), then publish it.

        It is durable when this returns. `depth` counts how many function runs led to it.
        """
        stored = await self.store(Item(event=self.prepare(new), depth=depth))
        assert stored.event is not None  # noqa: S101 - an item without a raw payload is appended
        return stored.event

    async def store(self, item: Item) -> Stored:
        """Store an event and/or raw payload in a transaction shared with concurrent appends.

        Durable when this returns; the event (if one was appended) is then published.
        """
        if item.event is not None:
            await self._partitions.ensure([item.event.created_at])  # its day's partition
        stored = await self._group.run(item)
        if stored.event is not None:
            metrics.child(metrics.events_appended, "ingest" if item.raw else "direct").inc()
            self._bus.publish(stored.event)
            for follower in self._followers:
                follower.committed(stored.event)
        return stored

    async def _store(self, session: AsyncSession, items: list[Item]) -> list[Stored]:
        return await batch.store(session, items, self._followers)

    async def by_nid(self, nid: int) -> Event | None:
        async with self._db.transaction() as session:
            return await store.find_event(session, nid)

    def prepare(self, new: NewEvent) -> Event:
        """The validated event to store, with id, time and empty JSON filled in."""
        created = validate(new, self._clock())
        if _size(new.data) + _size(new.metadata) > MAX_EVENT_BYTES:
            raise errors.TooLargeError(
                f"event data and metadata larger than {MAX_EVENT_BYTES} bytes", param="data"
            )
        return Event(
            id=new.id or str(uuid.uuid4()),
            nid=0,
            created_at=created,
            event_type=new.event_type,
            event_source=new.event_source,
            aggregate_id=new.aggregate_id,
            aggregate_type=new.aggregate_type,
            version=new.version,
            data={} if new.data is None else new.data,
            metadata={} if new.metadata is None else new.metadata,
        )

    async def by_type(self, event_type: str, span: TimeRange) -> list[Event]:
        return await self._query(span, event_type=event_type)

    async def by_aggregate(
        self, event_type: str, aggregate_type: str, aggregate_id: str, span: TimeRange
    ) -> list[Event]:
        return await self._query(
            span, event_type=event_type, aggregate_type=aggregate_type, aggregate_id=aggregate_id
        )

    async def by_source(self, event_type: str, event_source: str, span: TimeRange) -> list[Event]:
        return await self._query(span, event_type=event_type, event_source=event_source)

    async def _query(self, span: TimeRange, **equal: str) -> list[Event]:
        """Newest first, up to the limit and, past the first event, `MAX_ANSWER_BYTES`."""
        check_range(span)
        async with self._db.transaction() as session:
            found = await store.list_events(session, span, **equal)
        total = 0
        for index, event in enumerate(found):
            total += _size(event.data) + _size(event.metadata)
            if total > MAX_ANSWER_BYTES and index > 0:
                return found[:index]
        return found

    async def types(self, span: TimeRange) -> list[str]:
        check_range(span)
        async with self._db.transaction() as session:
            return await store.list_event_types(session, span)

    async def delete_type(self, event_type: str, span: TimeRange) -> None:
        check_range(span)
        async with self._db.transaction() as session:
            await store.delete_events(session, event_type, span)

    def stream(self, event_type: str) -> AsyncIterator[Event]:
        return self._bus.subscribe(event_type)
