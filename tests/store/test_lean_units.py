"""One-statement units (`Database.write(one_statement=True)`) on the real database.

On PostgreSQL these run straight on asyncpg connections (`runtime.db.lean`), on SQLite on the
writer thread through SQLAlchemy: a unit must get the same rows, values and errors from both.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from sqlalchemy import Connection, Table, bindparam, insert, select, text, update

from runtime import errors
from runtime.db import Database
from runtime.db.lean import LeanPool
from runtime.db.tables.chats import ChatMessageRow, ChatRow
from tests.store.test_pool_liveness import kill_connections

CHATS = cast(Table, ChatRow.__table__)
MESSAGES = cast(Table, ChatMessageRow.__table__)
NOW = datetime(2026, 3, 1, 12, 30, 15, 250_000, tzinfo=UTC)
ADD_CHAT = insert(CHATS).returning(CHATS.c.id, CHATS.c.version, CHATS.c.created_at)
ADD_MESSAGE = insert(MESSAGES)
BUMP = (
    update(CHATS)
    .where(CHATS.c.id == bindparam("p_id"))
    .values(version=CHATS.c.version + 1)
    .returning(CHATS.c.version)
)
RENAME = update(CHATS).where(CHATS.c.subject == bindparam("p_old")).values(subject="renamed")
SOURCES = select(MESSAGES.c.seq, MESSAGES.c.sources, MESSAGES.c.created_at).order_by(MESSAGES.c.seq)
SOME = select(CHATS.c.id).where(CHATS.c.id.in_(bindparam("p_ids", expanding=True)))


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url, ping_idle=0.3)
    yield database
    await database.dispose()


def chat(chat_id: str, subject: str = "s") -> dict[str, Any]:
    return {
        "id": chat_id,
        "subject": subject,
        "model": "m",
        "chain_id": "chat",
        "owner": "o",
        "path": "",
        "version": 0,
        "created_at": NOW,
        "updated_at": NOW,
    }


def message(chat_id: str, seq: int, sources: Any) -> dict[str, Any]:
    return {
        "id": f"{chat_id}-{seq}",
        "chat_id": chat_id,
        "seq": seq,
        "role": "user",
        "content": "hello",
        "status": "complete",
        "sources": sources,
        "prompt_tokens": 1,
        "completion_tokens": 2,
        "created_at": NOW + timedelta(seconds=seq),
    }


async def one(db: Database, statement: Any, params: Any = None) -> Any:
    """The rows of a statement that returns rows."""
    return await db.write(lambda conn: conn.execute(statement, params).all(), one_statement=True)


async def run(db: Database, statement: Any, params: Any) -> int:
    """The row count of a write that returns no rows."""
    return int(
        await db.write(lambda conn: conn.execute(statement, params).rowcount, one_statement=True)
    )


async def test_rows_come_back_by_name_with_their_columns_types(db: Database) -> None:
    (row,) = await one(db, ADD_CHAT, chat("c1"))
    assert (row.id, row.version, row.created_at) == ("c1", 0, NOW)  # aware, in UTC
    assert row.created_at.tzinfo is UTC
    chat_id, version, created = row  # and unpack as tuples
    assert (chat_id, version, created) == ("c1", 0, NOW)


async def test_columns_left_out_of_an_insert_get_their_declared_defaults(db: Database) -> None:
    given = {k: v for k, v in chat("c1").items() if k not in ("subject", "path", "version")}
    (row,) = await one(db, ADD_CHAT, given)
    assert (row.id, row.version) == ("c1", 0)
    (stored,) = await one(db, select(CHATS.c.subject, CHATS.c.path, CHATS.c.version))
    assert tuple(stored) == ("", "", 0)


async def test_json_values_round_trip_through_a_one_statement_unit(db: Database) -> None:
    await one(db, ADD_CHAT, chat("c1"))
    sources = [{"n": 1, "path": "/a.md", "score": 0.5, "tags": ["x"]}, {"n": 2, "nested": {}}]
    await run(db, ADD_MESSAGE, message("c1", 0, sources))
    await run(db, ADD_MESSAGE, message("c1", 1, []))
    rows = await one(db, SOURCES)
    assert [(r.seq, r.sources) for r in rows] == [(0, sources), (1, [])]
    assert rows[1].created_at == NOW + timedelta(seconds=1)


async def test_literals_in_a_statement_are_bound_on_every_call(db: Database) -> None:
    await one(db, ADD_CHAT, chat("c1"))
    for expected in (1, 2, 3):
        assert (
            await db.write(
                lambda conn: conn.execute(BUMP, {"p_id": "c1"}).scalar(), one_statement=True
            )
            == expected
        )
    assert (
        await db.write(
            lambda conn: conn.execute(BUMP, {"p_id": "nope"}).first(), one_statement=True
        )
        is None
    )


async def test_a_write_without_returning_reports_its_row_count(db: Database) -> None:
    for n in range(3):
        await one(db, ADD_CHAT, chat(f"c{n}", subject="old" if n < 2 else "other"))
    assert await run(db, RENAME, {"p_old": "old"}) == 2


async def test_a_list_of_parameters_writes_every_row(db: Database) -> None:
    await one(db, ADD_CHAT, chat("c1"))
    rows = [message("c1", n, [{"n": n}]) for n in range(3)]
    await db.write(lambda conn: conn.execute(ADD_MESSAGE, rows), one_statement=True)
    assert [r.sources for r in await one(db, SOURCES)] == [[{"n": 0}], [{"n": 1}], [{"n": 2}]]


async def test_an_in_list_is_expanded_for_each_call(db: Database) -> None:
    for n in range(4):
        await one(db, ADD_CHAT, chat(f"c{n}"))
    for wanted in (["c1"], ["c0", "c2", "c3"], []):
        found = await one(db, SOME, {"p_ids": wanted})
        assert sorted(r.id for r in found) == sorted(wanted)


async def test_a_duplicate_or_a_missing_parent_is_a_conflict_that_stores_nothing(
    db: Database,
) -> None:
    await one(db, ADD_CHAT, chat("c1"))
    with pytest.raises(errors.ConflictError, match="unique"):
        await one(db, ADD_CHAT, chat("c1", subject="second"))
    with pytest.raises(errors.ConflictError, match="foreign key"):
        await run(db, ADD_MESSAGE, message("no-such-chat", 0, []))
    assert [r.subject for r in await one(db, select(CHATS.c.subject))] == ["s"]
    assert await one(db, select(MESSAGES.c.id)) == []


async def test_a_missing_parameter_is_refused_before_anything_is_sent(db: Database) -> None:
    await one(db, ADD_CHAT, chat("c1"))
    with pytest.raises((TypeError, errors.Error, Exception)):  # SQLAlchemy's own on SQLite
        await db.write(lambda conn: conn.execute(BUMP, {}).all(), one_statement=True)
    assert [r.version for r in await one(db, select(CHATS.c.version))] == [0]


async def test_a_cancelled_caller_still_gets_its_one_statement_unit_stored(db: Database) -> None:
    def slow_add(conn: Connection) -> None:
        if conn.dialect.name == "sqlite":
            time.sleep(0.2)  # on the writer thread
        else:
            conn.execute(text("SELECT pg_sleep(0.2)"))
        conn.execute(ADD_CHAT, chat("kept"))

    task = asyncio.ensure_future(db.write(slow_add, one_statement=True))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):
        if await one(db, select(CHATS.c.id)):
            break
        await asyncio.sleep(0.02)
    assert [r.id for r in await one(db, select(CHATS.c.id))] == ["kept"]


async def test_connections_lost_fail_at_most_one_unit_with_503_then_recover(
    db: Database, db_url: str
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite has no server to lose a connection to")
    await one(db, ADD_CHAT, chat("c1"))
    assert await kill_connections(db_url) >= 1  # moments after use: not checked again
    try:
        await one(db, select(CHATS.c.id))
    except errors.UnavailableError as exc:
        assert "connection was lost" in exc.message  # noqa: PT017 - either outcome is fine
    assert [r.id for r in await one(db, select(CHATS.c.id))] == ["c1"]
    await asyncio.sleep(0.4)  # idle longer than ping_idle: checked before use
    assert await kill_connections(db_url) >= 1
    assert [r.id for r in await one(db, select(CHATS.c.id))] == ["c1"]


async def test_a_server_that_takes_no_more_connections_is_a_503(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite has no server to connect to")
    admin = Database(db_url)
    role = "lean_limited"
    await admin.write(lambda c: c.execute(text(f"DROP ROLE IF EXISTS {role}")))
    await admin.write(lambda c: c.execute(text(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 0")))
    limited = Database(db_url.replace("://postgres@", f"://{role}@"))
    try:
        with pytest.raises(errors.UnavailableError, match="too many connections"):
            await one(limited, select(CHATS.c.id))
    finally:
        await limited.dispose()
        await admin.write(lambda c: c.execute(text(f"DROP ROLE {role}")))
        await admin.dispose()


async def test_connections_left_idle_below_a_busy_one_are_closed(db: Database, db_url: str) -> None:
    if db.is_sqlite:
        pytest.skip("lean units run on PostgreSQL only")
    pool = LeanPool(db_url, db.engine.dialect, size=4, ping_idle=10.0, idle_close=0.3)
    nap = text("SELECT pg_sleep(0.1)")
    try:
        await asyncio.gather(*(pool.run(lambda c: c.execute(nap).all()) for _ in range(3)))
        assert pool.idle == 3
        started = time.monotonic()
        while time.monotonic() - started < 0.8:  # the newest is used on and on
            await pool.run(lambda c: c.execute(text("SELECT 1")).all())
            await asyncio.sleep(0.05)
        assert pool.idle == 1
    finally:
        await pool.close()
