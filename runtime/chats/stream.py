"""A turn whose answer is streamed: opened once the first text (or the outcome) is in hand.

Failures before the first text come out of `open_stream` (the caller can still answer with an
HTTP error); after it, from `TurnStream.deltas`. Closing the stream early cancels the turn,
which then stores what was generated, marked `interrupted`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from runtime.chats.turn import Turn
from runtime.chats.types import Message


class TurnStream:
    """The texts of a running turn, then its stored answer."""

    def __init__(self, task: asyncio.Task[Message], queue: asyncio.Queue[str | None]) -> None:
        self._task = task
        self._queue = queue
        self._first: str | None = None
        self._whole = False

    async def _open(self) -> None:
        try:
            self._first = await self._queue.get()
        except BaseException:  # the client left before the first text: stop the turn
            await self.close()
            raise
        if self._first is None:  # finished without streaming: succeed or fail now
            message = await self._task
            self._first, self._whole = message.content, True

    async def deltas(self) -> AsyncIterator[str]:
        text = self._first
        if self._whole:  # the whole answer arrived at once
            if text:
                yield text
            return
        while text is not None:
            yield text
            text = await self._queue.get()

    async def result(self) -> Message:
        return await self._task

    async def close(self) -> None:
        """Cancel the turn if it is still running, and wait until its outcome is stored."""
        if not self._task.done():
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task


async def open_stream(turn: Turn) -> TurnStream:
    """Start `turn` and wait for its first text."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    async def sink(text: str) -> None:
        if text:
            await queue.put(text)

    async def run() -> Message:
        try:
            return await turn.run(sink)
        finally:
            queue.put_nowait(None)

    stream = TurnStream(asyncio.ensure_future(run()), queue)
    await stream._open()
    return stream
