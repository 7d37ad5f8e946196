"""PostgreSQL pool: a connection idle long enough is checked before use, a fresh one is not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

from runtime import errors
from runtime.db import Database


def one(connection: Connection) -> int:
    return int(connection.execute(text("SELECT 1")).scalar_one())


def slow(connection: Connection) -> int:
    connection.execute(text("SELECT pg_sleep(0.1)"))
    return 1


async def kill_connections(db_url: str) -> int:
    """Terminate every other session on the database, as a server restart would."""
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as connection:
            found = await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            return len(found.all())
    finally:
        await engine.dispose()


@pytest.fixture
async def pooled(db_url: str) -> AsyncIterator[tuple[Database, str]]:
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite has no server to lose a connection to")
    database = Database(db_url, ping_idle=0.3)
    await asyncio.gather(*(database.write(slow) for _ in range(3)))  # three pooled connections
    yield database, db_url
    await database.dispose()


async def test_connections_killed_while_idle_are_replaced_before_use(
    pooled: tuple[Database, str],
) -> None:
    db, url = pooled
    await asyncio.sleep(0.4)
    assert await kill_connections(url) >= 3
    assert await asyncio.gather(*(db.write(one) for _ in range(3))) == [1, 1, 1]


async def test_connections_killed_after_recent_use_fail_one_call_with_503_then_recover(
    pooled: tuple[Database, str],
) -> None:
    db, url = pooled
    assert await kill_connections(url) >= 3  # within the idle window: no check before use
    with pytest.raises(errors.UnavailableError):
        await db.write(one)
    # the failure marked the whole pool stale: every later checkout reconnects
    assert await asyncio.gather(*(db.write(one) for _ in range(3))) == [1, 1, 1]
