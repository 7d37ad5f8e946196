"""The event store: domain events appended, queried and streamed live."""

from runtime.eventstore.ingest import IngestService
from runtime.eventstore.service import EventService
from runtime.eventstore.stream import EventBus
from runtime.eventstore.types import Event, Mapping, NewEvent, RawEvent, TimeRange

__all__ = [
    "Event",
    "EventBus",
    "EventService",
    "IngestService",
    "Mapping",
    "NewEvent",
    "RawEvent",
    "TimeRange",
]
