"""Database: the async engine, sessions and one transaction per unit of work.

SQLite connections get WAL, foreign keys and a busy timeout on connect.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from runtime.db.errors import translate
from runtime.db.lean import LeanPool
from runtime.db.liveness import ping_when_idle
from runtime.db.readers import SqliteReaders
from runtime.db.writer import SqliteWriter, Unit

T = TypeVar("T")


class Database:
    """Owns the engine; `transaction()` yields a session committed on success."""

    def __init__(self, url: str, *, pool_size: int = 10, ping_idle: float = 5.0) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine: AsyncEngine = create_async_engine(url, connect_args={"timeout": 30})
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        else:
            self.engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)
            ping_when_idle(self.engine.sync_engine.pool, ping_idle)
        self._lean = (
            None
            if self.is_sqlite
            else LeanPool(url, self.engine.dialect, size=pool_size, ping_idle=ping_idle)
        )
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite readers: connections that never take the write lock (WAL lets them read
        # while a writer works); each statement reads the last committed state
        self._read_engine: AsyncEngine | None = None
        if self.is_sqlite:
            self._read_engine = create_async_engine(url, connect_args={"timeout": 30})
            event.listen(self._read_engine.sync_engine, "connect", _sqlite_pragmas)
            self._readers = async_sessionmaker(self._read_engine, expire_on_commit=False)
        # SQLite has one writer at a time and every transaction here takes the write lock; a
        # connection that finds it taken sleeps in coarse steps (1-100 ms) in SQLite's busy
        # handler. Queueing our own transactions on an asyncio lock hands it over at once.
        self._writer = asyncio.Lock() if self.is_sqlite else None
        self._thread = SqliteWriter(url, _sqlite_pragmas, _sqlite_begin) if self.is_sqlite else None
        self._reading = SqliteReaders(url, _sqlite_pragmas) if self.is_sqlite else None
        self._undoing: set[asyncio.Future[Any]] = set()  # undo units of callers that left

    @asynccontextmanager
    async def transaction(
        self, on_commit: Callable[[], None] | None = None
    ) -> AsyncIterator[AsyncSession]:
        """One unit of work; database errors come out as `runtime.errors` types.

        `on_commit` runs after a successful commit (to notify loops of a change).
        """
        held = _holding.get()
        if self._writer is None or held:
            async with self._unit_of_work() as session:
                yield session
        else:
            async with self._writer:
                token = _holding.set(True)
                try:
                    async with self._unit_of_work() as session:
                        yield session
                finally:
                    _holding.reset(token)
        if on_commit is not None:
            on_commit()

    async def write(
        self,
        unit: Unit[T],
        *,
        undo: Callable[[T], Unit[Any]] | None = None,
        one_statement: bool = False,
    ) -> T:
        """Run `unit` (a plain function of a Core connection) as one transaction; its result.

        For short hot writes: on SQLite the whole unit runs in one step on the writer thread
        (`runtime.db.writer`), on PostgreSQL through `run_sync` on a pooled connection. Errors
        come out as `runtime.errors` types. Once started, a unit runs to its end even if the
        caller is cancelled; then `undo(result)`, when given, is run as a unit of its own (what
        the caller would have done with the result, such as give a claim back). Not inside
        `transaction()` (that holds the SQLite write lock).

        `one_statement`: the unit sends at most one writing statement on PostgreSQL (atomic by
        itself), so it runs there without BEGIN and COMMIT (two round trips fewer); its reads
        see what is committed when each runs, as under READ COMMITTED anyway. It runs as a
        lean unit (`runtime.db.lean`: straight on the driver, a fraction of the CPU), so it
        may use only what a lean connection offers.
        """
        if self._thread is None or self._writer is None:
            lean = self._lean if one_statement else None
            run = lean.run if lean is not None else self._run_pooled
            future: asyncio.Future[T] = asyncio.ensure_future(run(unit))
        else:
            if _holding.get():
                raise RuntimeError("Database.write inside a transaction would wait for itself")
            await self._writer.acquire()
            try:
                future = self._thread.submit(unit)
            except BaseException:
                self._writer.release()
                raise
            writer = self._writer
            future.add_done_callback(lambda _: writer.release())  # also when the caller left
        future.add_done_callback(_retrieved)
        try:
            with translate():
                return await asyncio.shield(future)
        except asyncio.CancelledError:
            if undo is not None:
                future.add_done_callback(functools.partial(self._undo, undo))
            raise

    def _undo(self, undo: Callable[[T], Unit[Any]], finished: asyncio.Future[T]) -> None:
        if finished.cancelled() or finished.exception() is not None:
            return
        task = asyncio.ensure_future(self.write(undo(finished.result())))
        self._undoing.add(task)
        task.add_done_callback(self._undoing.discard)
        task.add_done_callback(_retrieved)

    async def _run_pooled(self, unit: Unit[T]) -> T:
        async with self.engine.begin() as connection:
            return await connection.run_sync(unit)

    async def _run_alone(self, unit: Unit[T]) -> T:
        async with self.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            return await connection.run_sync(unit)

    async def query(self, unit: Unit[T]) -> T:
        """Run `unit` (a plain function of a Core connection) for reads only; its result.

        For hot reads: on SQLite in one step on a reader thread (`runtime.db.readers`), on
        PostgreSQL through `run_sync` on a pooled connection without BEGIN and COMMIT. Each
        statement sees what is committed when it runs (no snapshot across statements); what
        it writes may not be kept. Errors come out as `runtime.errors` types.
        """
        with translate():
            if self._reading is None:
                return await self._run_alone(unit)
            return await self._reading.run(unit)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only; on SQLite it does not wait for the write lock.

        Statements see committed data but not one snapshot across statements on SQLite;
        nothing written through it is kept.
        """
        if self._read_engine is None:
            async with self.transaction() as session:
                yield session
            return
        with translate():
            async with self._readers() as session:
                yield session

    @asynccontextmanager
    async def _unit_of_work(self) -> AsyncIterator[AsyncSession]:
        with translate():
            async with self._sessions() as session, session.begin():
                yield session

    async def dispose(self) -> None:
        if self._thread is not None:
            await self._thread.close()
        if self._reading is not None:
            await self._reading.close()
        if self._lean is not None:
            await self._lean.close()
        await self.engine.dispose()
        if self._read_engine is not None:
            await self._read_engine.dispose()


def _retrieved(finished: asyncio.Future[Any]) -> None:
    """Mark the error seen: nobody may be waiting for it any more (the caller left)."""
    if not finished.cancelled():
        finished.exception()


# set while this task holds the SQLite writer lock: a nested transaction must not wait for it
_holding: ContextVar[bool] = ContextVar("holding_sqlite_writer", default=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN is turned off: `_sqlite_begin` takes the write lock
    # up front, so concurrent writers wait (busy_timeout) instead of failing on lock upgrade.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
