"""GroupCommit on the real database: concurrent items share transactions, failures stay apart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from runtime import errors
from runtime.db import Database
from runtime.db.group import GroupCommit
from runtime.db.tables.functions import FunctionRow

NOW = datetime(2026, 1, 1, tzinfo=UTC)


Work = Callable[[AsyncSession], Awaitable[str]]


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


def add(name: str) -> Work:
    async def work(session: AsyncSession) -> str:
        session.add(
            FunctionRow(
                name=name,
                description="",
                script_type="goja",
                script="1",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        await session.flush()
        return name

    return work


batches: list[int] = []


async def each(session: AsyncSession, works: list[Work]) -> list[str]:
    batches.append(len(works))
    return [await work(session) for work in works]


async def names(db: Database) -> list[str]:
    async with db.transaction() as session:
        return sorted(await session.scalars(select(FunctionRow.name)))


async def test_concurrent_units_all_commit_and_each_gets_its_result(db: Database) -> None:
    group = GroupCommit(db, each, max_batch=8)
    results = await asyncio.gather(*(group.run(add(f"f{n:02d}")) for n in range(30)))
    assert results == [f"f{n:02d}" for n in range(30)]
    assert await names(db) == results


async def test_a_failing_unit_fails_alone(db: Database) -> None:
    group = GroupCommit(db, each)
    outcomes = await asyncio.gather(
        group.run(add("a")),
        group.run(add("dup")),
        group.run(add("dup")),
        group.run(add("b")),
        return_exceptions=True,
    )
    assert outcomes[0] == "a"
    assert outcomes[3] == "b"
    assert sum(isinstance(o, errors.ConflictError) for o in outcomes) == 1
    assert await names(db) == ["a", "b", "dup"]


async def test_concurrent_items_are_processed_in_batches(db: Database) -> None:
    batches.clear()
    group = GroupCommit(db, each)
    await asyncio.gather(*(group.run(add(f"g{n}")) for n in range(10)))
    assert sum(batches) == 10
    assert len(batches) < 10  # items joined batches
    assert await names(db) == [f"g{n}" for n in range(10)]


async def test_a_failing_batch_of_one_is_not_run_twice(db: Database) -> None:
    batches.clear()
    group = GroupCommit(db, each)
    await group.run(add("once"))
    with pytest.raises(errors.ConflictError):
        await group.run(add("once"))
    assert batches == [1, 1]
