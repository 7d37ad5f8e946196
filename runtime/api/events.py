"""/events: append domain events, query them by type, aggregate or source, and stream them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import ServerSentEvent

from runtime import errors
from runtime.api.base import MAX_INT32, Int32, Name, literal
from runtime.eventstore import Event, EventService, NewEvent, TimeRange

AwareTime = Annotated[datetime, msgspec.Meta(tz=True)]
Since = Annotated[str | None, QueryParameter(name="from")]


class EventIn(msgspec.Struct, kw_only=True):
    """Body of POST /events (snake_case, as the API reference spells it)."""

    id: Name = ""
    created_at: AwareTime | None = None
    event_type: Name = ""
    event_source: Name = ""
    aggregate_id: Name = ""
    aggregate_type: Name = ""
    version: Int32 = 0
    data: Any = None
    metadata: Any = None
    nid: int | None = None  # accepted and ignored: the store numbers events


class EventOut(msgspec.Struct, kw_only=True):
    """A stored event."""

    id: str
    nid: int
    created_at: datetime
    event_type: str
    event_source: str
    aggregate_id: str
    aggregate_type: str
    version: int
    data: Any
    metadata: Any

    @classmethod
    def from_domain(cls, event: Event) -> EventOut:
        return cls(**msgspec.structs.asdict(event))


def _time(raw: str | None, name: str, default: datetime) -> datetime:
    if not raw:
        return default
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise errors.InvalidInputError(
            f"invalid '{name}' time format, expected RFC3339", param=name
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def span(start: str | None, end: str | None, limit: str | None = None) -> TimeRange:
    """The query range: `from` defaults to 24 hours ago, `to` to now, `limit` to 100."""
    now = datetime.now(UTC)
    count = 100
    if limit:
        try:
            count = int(limit)
        except ValueError:
            count = 0
        if not 0 < count <= MAX_INT32:
            raise errors.InvalidInputError("invalid limit, must be positive integer", param="limit")
    return TimeRange(
        start=_time(start, "from", now - timedelta(hours=24)),
        end=_time(end, "to", now),
        limit=count,
    )


def required(value: str | None, name: str) -> str:
    if not value:
        raise errors.InvalidInputError(f"{name} is required", param=name)
    return value


def events_out(found: list[Event]) -> list[EventOut]:
    return [EventOut.from_domain(event) for event in found]


def window(
    since: Since = None, to: FromQuery[str | None] = None, limit: FromQuery[str | None] = None
) -> TimeRange:
    """The `from`, `to` and `limit` query parameters of the event queries."""
    return span(since, to, limit)


class EventController(Controller):
    """Domain events."""

    path = "/events"
    dependencies = {"window": Provide(window, sync_to_thread=False)}  # noqa: RUF012

    @post(status_code=201)
    async def append_event(
        self, data: JSONBody[EventIn], events: NamedDependency[EventService]
    ) -> EventOut:
        fields = msgspec.structs.asdict(data)
        fields.pop("nid")
        return EventOut.from_domain(await events.append(NewEvent(**fields)))

    @get("/type")
    async def list_events_by_type(
        self,
        events: NamedDependency[EventService],
        window: NamedDependency[TimeRange],
        event_type: FromQuery[str | None] = None,
    ) -> list[EventOut]:
        found = await events.by_type(required(event_type, "event_type"), window)
        return events_out(found)

    @get("/aggregate")
    async def list_events_by_aggregate(
        self,
        events: NamedDependency[EventService],
        window: NamedDependency[TimeRange],
        event_type: FromQuery[str | None] = None,
        aggregate_type: FromQuery[str | None] = None,
        aggregate_id: FromQuery[str | None] = None,
    ) -> list[EventOut]:
        found = await events.by_aggregate(
            required(event_type, "event_type"),
            required(aggregate_type, "aggregate_type"),
            required(aggregate_id, "aggregate_id"),
            window,
        )
        return events_out(found)

    @get("/source")
    async def list_events_by_source(
        self,
        events: NamedDependency[EventService],
        window: NamedDependency[TimeRange],
        event_type: FromQuery[str | None] = None,
        event_source: FromQuery[str | None] = None,
    ) -> list[EventOut]:
        found = await events.by_source(
            required(event_type, "event_type"),
            required(event_source, "event_source"),
            window,
        )
        return events_out(found)

    @get("/types")
    async def list_event_types(
        self,
        events: NamedDependency[EventService],
        window: NamedDependency[TimeRange],
    ) -> list[str]:
        return await events.types(window)

    @delete("/type", status_code=200)
    async def delete_events_by_type(
        self,
        events: NamedDependency[EventService],
        event_type: FromQuery[str | None] = None,
        since: Since = None,
        to: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        required(since, "from")
        required(to, "to")
        await events.delete_type(required(event_type, "event_type"), span(since, to))
        return literal("events deleted")

    @get("/stream/{event_type:str}")
    async def stream_events(
        self, event_type: FromPath[str], events: NamedDependency[EventService]
    ) -> ServerSentEvent:
        return ServerSentEvent(
            _live(event_type, events.stream(event_type)),
            headers={"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"},
        )


async def _live(event_type: str, stream: AsyncIterator[Event]) -> AsyncIterator[str]:
    yield f"Connected to event stream for type: {event_type}"
    async for event in stream:
        yield msgspec.json.encode(EventOut.from_domain(event)).decode()
