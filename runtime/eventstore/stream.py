"""In-process fan-out of stored events to live subscribers (SSE), by event type.

A slow subscriber loses events instead of slowing appends: each has a small bounded queue.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator

from runtime.eventstore.types import Event

_BUFFER = 1024


class EventBus:
    """Publish stored events; subscribers of a type get those appended after they joined."""

    def __init__(self) -> None:
        self._subscribers: defaultdict[str, set[asyncio.Queue[Event]]] = defaultdict(set)

    def publish(self, event: Event) -> None:
        for queue in self._subscribers.get(event.event_type, ()):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(event)

    def subscribe(self, event_type: str) -> AsyncIterator[Event]:
        """Join now (so nothing appended after this call is missed), then iterate."""
        queue: asyncio.Queue[Event] = asyncio.Queue(_BUFFER)
        self._subscribers[event_type].add(queue)
        return self._drain(event_type, queue)

    async def _drain(self, event_type: str, queue: asyncio.Queue[Event]) -> AsyncIterator[Event]:
        try:
            while True:
                yield await queue.get()
        finally:
            subscribers = self._subscribers[event_type]
            subscribers.discard(queue)
            if not subscribers:
                del self._subscribers[event_type]
