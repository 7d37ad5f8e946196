"""In-process fan-out of pull progress to every current subscriber (SSE clients).

A slow subscriber loses reports instead of slowing the pull: each has a small bounded queue.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from runtime.downloads.types import Progress

_BUFFER = 256


class ProgressHub:
    """Broadcast Progress reports; no persistence, no replay."""

    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[Progress]] = set()

    def publish(self, report: Progress) -> None:
        for queue in self._subscribers:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(report)

    async def subscribe(self) -> AsyncIterator[Progress]:
        """Reports published from now on, until the consumer stops iterating."""
        queue: asyncio.Queue[Progress] = asyncio.Queue(_BUFFER)
        self._subscribers.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers.discard(queue)
