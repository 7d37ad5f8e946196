"""Day partitions of `events` on PostgreSQL, created before the first event of a day is stored.

Each partition is created in a transaction of its own (DDL never joins an append's transaction)
and remembered in this process. Creation is idempotent across replicas; when it fails (say,
rows of that day already sit in the default partition), the event still goes in, to the
default partition, and the failure is logged. On SQLite there are no partitions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from runtime import errors
from runtime.db import Database

log = logging.getLogger(__name__)


def partition_ddl(day: date) -> str:
    """The statement that creates the partition holding `day` (UTC)."""
    end = day + timedelta(days=1)
    return (
        f"CREATE TABLE IF NOT EXISTS events_p_{day:%Y%m%d} PARTITION OF events "
        f"FOR VALUES FROM ('{day.isoformat()}') TO ('{end.isoformat()}')"
    )


class Partitions:
    """Makes sure the partition of each day exists before events of that day are stored."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._known: set[date] = set()
        self._lock = asyncio.Lock()

    async def ensure(self, moments: Iterable[datetime]) -> None:
        if self._db.is_sqlite:
            return
        days = {moment.astimezone(UTC).date() for moment in moments} - self._known
        if not days:
            return
        async with self._lock:
            for day in sorted(days - self._known):
                await self._create(day)
                self._known.add(day)

    async def _create(self, day: date) -> None:
        try:
            async with self._db.transaction() as session:
                await session.execute(text(partition_ddl(day)))
        except (errors.Error, SQLAlchemyError) as exc:
            log.warning("events of %s go to the default partition: %s", day, exc)
