"""GroupCommit: concurrent items are processed together, one transaction per batch.

Appends arrive concurrently and each is tiny; their BEGIN and COMMIT (and on SQLite the wait
for the single writer) cost more than their inserts, and a statement per item costs more than
one statement for many. Items submitted while a batch is running join the next one; `process`
handles a whole batch in one transaction (say, one multi-row INSERT). Each caller still gets
its answer only after the commit that made its item durable. If the batch fails, every item is
processed again in a transaction of its own, so one bad item never takes others down with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from runtime.db.database import Database

I = TypeVar("I")  # noqa: E741 - the item type
R = TypeVar("R")
MAX_BATCH = 128


class GroupCommit(Generic[I, R]):
    """Queue of items, flushed by one task; `process` returns a result per item, in order."""

    def __init__(
        self,
        db: Database,
        process: Callable[[AsyncSession, list[I]], Awaitable[list[R]]],
        *,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._db = db
        self._process = process
        self._max_batch = max_batch
        self._queue: list[tuple[I, asyncio.Future[R]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def run(self, item: I) -> R:
        """Process `item` in a shared transaction; returns its result once committed."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        while self._queue:
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
            try:
                async with self._db.transaction() as session:
                    results = await self._process(session, [item for item, _ in batch])
            except Exception as exc:  # noqa: BLE001 - each item is retried alone, gets its own error
                if len(batch) == 1:
                    _settle(batch[0][1], exc)
                else:
                    for entry in batch:
                        await self._alone(entry)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _alone(self, entry: tuple[I, asyncio.Future[R]]) -> None:
        item, future = entry
        try:
            async with self._db.transaction() as session:
                (result,) = await self._process(session, [item])
        except Exception as exc:  # noqa: BLE001 - handed to the caller that submitted it
            _settle(future, exc)
        else:
            if not future.done():
                future.set_result(result)


def _settle(future: asyncio.Future[R], exc: Exception) -> None:
    if not future.done():
        future.set_exception(exc)
