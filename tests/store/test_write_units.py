"""Database.write on the real database: a unit commits whole or not at all, and keeps order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, insert, select, text

from runtime import errors
from runtime.db import Database
from runtime.db.tables.functions import FunctionRow

NOW = datetime(2026, 1, 1, tzinfo=UTC)
REST = {
    "description": "",
    "script_type": "goja",
    "script": "1",
    "created_at": NOW,
    "updated_at": NOW,
}


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


def add(*names: str):  # type: ignore[no-untyped-def]
    def unit(connection: Connection) -> int:
        for name in names:
            connection.execute(insert(FunctionRow).values(name=name, **REST))
        return len(names)

    return unit


async def names(db: Database) -> list[str]:
    async with db.read() as session:
        return sorted(await session.scalars(select(FunctionRow.name)))


async def test_a_unit_commits_and_returns_its_result(db: Database) -> None:
    assert await db.write(add("a", "b")) == 2
    assert await names(db) == ["a", "b"]


async def test_a_failing_unit_stores_nothing_and_raises_a_runtime_error(db: Database) -> None:
    await db.write(add("a"))
    with pytest.raises(errors.ConflictError):
        await db.write(add("b", "a"))  # "b" goes in first, then the duplicate fails the unit
    assert await names(db) == ["a"]


async def test_units_and_transactions_interleave_without_losing_writes(db: Database) -> None:
    async def through_session(name: str) -> None:
        async with db.transaction() as session:
            await asyncio.sleep(0)
            session.add(FunctionRow(name=name, **REST))

    work = [db.write(add(f"u{i}")) for i in range(20)]
    work += [through_session(f"s{i}") for i in range(20)]
    await asyncio.gather(*work)
    assert len(await names(db)) == 40


async def test_a_cancelled_caller_still_gets_its_unit_committed(db: Database) -> None:
    task = asyncio.create_task(db.write(add("kept")))
    await asyncio.sleep(0)  # the unit is handed over
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await db.write(add("after"))  # SQLite runs units in order: "kept" is done before this one
    for _ in range(200):  # PostgreSQL runs them on pooled connections side by side
        if await names(db) == ["after", "kept"]:
            break
        await asyncio.sleep(0.01)
    assert await names(db) == ["after", "kept"]


async def test_a_unit_inside_a_transaction_is_refused_on_sqlite(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("PostgreSQL has no single writer to wait for")
    async with db.transaction():
        with pytest.raises(RuntimeError):
            await db.write(add("x"))
    assert await names(db) == []


async def test_a_caller_that_left_has_its_undo_run_after_the_unit(db: Database) -> None:
    def undo(count: int):  # type: ignore[no-untyped-def]
        assert count == 1
        return add("undone")

    task = asyncio.create_task(db.write(add("kept"), undo=undo))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):  # the undo is a unit of its own, run once the first one is done
        if len(await names(db)) == 2:
            break
        await asyncio.sleep(0.01)
    assert await names(db) == ["kept", "undone"]


async def test_a_unit_raising_stop_iteration_fails_alone(db: Database) -> None:
    def empty(_: Connection) -> None:
        next(iter(()))

    with pytest.raises((RuntimeError, StopIteration)):
        await asyncio.wait_for(db.write(empty), 5)
    await asyncio.wait_for(db.write(add("next")), 5)  # the writer is free for the next unit
    assert await names(db) == ["next"]


async def test_a_unit_after_dispose_is_refused_and_nothing_waits_forever(db_url: str) -> None:
    database = Database(db_url)
    await database.write(add("before"))
    await database.dispose()
    if database.is_sqlite:
        with pytest.raises(errors.UnavailableError):
            await asyncio.wait_for(database.write(add("late")), 5)
    async with database.read() as session:  # the engine still opens connections on demand
        assert sorted(await session.scalars(select(FunctionRow.name))) == ["before"]
    await database.dispose()


async def test_a_one_statement_unit_runs_without_begin_on_postgresql(db: Database) -> None:
    def transactions(connection: Connection) -> set[object]:
        ask = text("SELECT txid_current()")
        return {connection.execute(ask).scalar(), connection.execute(ask).scalar()}

    if db.is_sqlite:
        pytest.skip("SQLite runs every unit as one transaction on its writer thread")
    assert len(await db.write(transactions)) == 1  # one transaction around the unit
    assert len(await db.write(transactions, one_statement=True)) == 2  # each its own


async def test_a_failing_one_statement_unit_raises_a_runtime_error(db: Database) -> None:
    await db.write(add("a"), one_statement=True)
    with pytest.raises(errors.ConflictError):
        await db.write(add("a"), one_statement=True)
    assert await names(db) == ["a"]
