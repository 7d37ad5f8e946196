"""GroupCommit: many small units of work share one transaction; each caller waits for its commit.

Appends arrive concurrently and each is tiny; their BEGIN and COMMIT (and on SQLite the wait
for the single writer) cost more than their inserts. Work submitted while a transaction is
running joins the next one. Each caller still gets its answer only after the commit that made
its work durable. If any unit fails, the batch is rolled back and every unit is run again in
a transaction of its own, so one bad unit never takes others down with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from runtime.db.database import Database

T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[Any]]
MAX_BATCH = 128


class GroupCommit:
    """Queue of units of work, flushed by one task, one transaction per batch."""

    def __init__(
        self,
        db: Database,
        *,
        max_batch: int = MAX_BATCH,
        before_commit: Work | None = None,
    ) -> None:
        self._db = db
        self._max_batch = max_batch
        self._before_commit = before_commit
        self._queue: list[tuple[Work, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `work` in a shared transaction; returns its result once committed."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((work, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        while self._queue:
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
            try:
                async with self._db.transaction() as session:
                    results = [await work(session) for work, _ in batch]
                    await self._finish(session)
            except Exception:  # noqa: BLE001 - each unit is retried alone and gets its own error
                await self._one_by_one(batch)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _finish(self, session: AsyncSession) -> None:
        if self._before_commit is not None:
            await self._before_commit(session)

    async def _one_by_one(self, batch: list[tuple[Work, asyncio.Future[Any]]]) -> None:
        for work, future in batch:
            try:
                async with self._db.transaction() as session:
                    result = await work(session)
                    await self._finish(session)
            except Exception as exc:  # noqa: BLE001 - handed to the caller that submitted it
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(result)
