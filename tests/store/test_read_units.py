"""Database.query on the real database: read units in one step, at once, in the caller's context."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextvars import ContextVar
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, insert, select, text
from sqlalchemy.exc import DBAPIError

from runtime.db import Database
from runtime.db.tables.functions import FunctionRow

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CALLER: ContextVar[str] = ContextVar("caller", default="nobody")


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


def function_names(connection: Connection) -> list[str]:
    return sorted(connection.scalars(select(FunctionRow.name)))


async def test_a_read_unit_returns_what_is_committed(db: Database) -> None:
    assert await db.query(function_names) == []
    async with db.transaction() as session:
        await session.execute(
            insert(FunctionRow).values(
                name="f", description="", script_type="goja", script="1",
                created_at=NOW, updated_at=NOW,
            )
        )  # fmt: skip
    assert await db.query(function_names) == ["f"]


async def test_read_units_run_at_the_same_time(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("PostgreSQL units run on the event loop; the driver overlaps their statements")
    both = threading.Barrier(2, timeout=10)  # broken unless the second runs while the first waits

    def meet(connection: Connection) -> int:
        both.wait()
        return int(connection.execute(text("SELECT 1")).scalar_one())

    assert await asyncio.gather(db.query(meet), db.query(meet)) == [1, 1]


async def test_a_read_unit_sees_the_callers_context(db: Database) -> None:
    CALLER.set("alice")
    assert await db.query(lambda _connection: CALLER.get()) == "alice"


async def test_a_failing_read_unit_raises_and_the_next_one_runs(db: Database) -> None:
    with pytest.raises(DBAPIError):
        await db.query(lambda connection: connection.execute(text("SELECT * FROM no_such_table")))
    assert await db.query(function_names) == []
