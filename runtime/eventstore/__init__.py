"""The event store: domain events appended, queried and streamed live."""

from runtime.eventstore.service import EventService
from runtime.eventstore.stream import EventBus
from runtime.eventstore.types import Event, NewEvent, TimeRange

__all__ = ["Event", "EventBus", "EventService", "NewEvent", "TimeRange"]
