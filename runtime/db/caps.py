"""Row caps that hold under concurrent creates, from one process or from several replicas.

A cap is checked as "count the rows, then insert if below the cap" in one transaction. Two
such transactions running at once could both count below the cap and both insert, so the
count is taken under a lock per table that the transaction holds to its end: creates of a
table run one after another, and each counts the rows of those committed before it.

- PostgreSQL: a transaction-scoped advisory lock (`pg_advisory_xact_lock`) keyed by the table
  name, released by COMMIT or ROLLBACK. The count is its own statement after the lock, and
  under READ COMMITTED (the default, which we use) each statement sees everything committed
  before it started.
- SQLite: nothing to add. Every transaction begins IMMEDIATE (see `Database`), which takes
  the file's one write lock at BEGIN, so writers, in this process or another, never overlap.

Why not one `INSERT ... SELECT ... WHERE (SELECT count(*) ...) < cap`: on PostgreSQL two such
statements at once each see the other's row as uncommitted, count the same, and both insert.
SERIALIZABLE would catch that, but it makes callers retry serialization failures. Creates of
capped rows (backends, groups, hooks, ...) are rare operator actions; queueing them is cheap.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.db.dialect import is_postgres


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for `name`."""
    digest = hashlib.blake2b(f"llm-runtime:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def hold_lock(session: AsyncSession, name: str) -> None:
    """Make the rest of this transaction exclusive among transactions holding `name`."""
    if is_postgres(session):
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})


async def count_for_cap(session: AsyncSession, table: Any) -> int:
    """The rows of `table`, counted under its cap lock: check the cap with it, then insert."""
    await hold_lock(session, f"row cap {table.__tablename__}")
    return int(await session.scalar(select(func.count()).select_from(table)) or 0)
