"""GroupCommit on the real database: concurrent units share transactions, failures stay apart."""

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


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


def add(name: str) -> Callable[[AsyncSession], Awaitable[str]]:
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


async def names(db: Database) -> list[str]:
    async with db.transaction() as session:
        return sorted(await session.scalars(select(FunctionRow.name)))


async def test_concurrent_units_all_commit_and_each_gets_its_result(db: Database) -> None:
    group = GroupCommit(db, max_batch=8)
    results = await asyncio.gather(*(group.run(add(f"f{n:02d}")) for n in range(30)))
    assert results == [f"f{n:02d}" for n in range(30)]
    assert await names(db) == results


async def test_a_failing_unit_fails_alone(db: Database) -> None:
    group = GroupCommit(db)
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


async def test_before_commit_runs_once_per_transaction(db: Database) -> None:
    calls: list[int] = []

    async def before(session: AsyncSession) -> None:
        calls.append(len(session.new) + len(list(session.identity_map)))

    group = GroupCommit(db, before_commit=before)
    await asyncio.gather(*(group.run(add(f"g{n}")) for n in range(10)))
    assert 1 <= len(calls) < 10  # units joined transactions
    assert await names(db) == [f"g{n}" for n in range(10)]
