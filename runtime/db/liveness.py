"""Check a pooled PostgreSQL connection only when it has been idle, not on every checkout.

SQLAlchemy's `pool_pre_ping` checks each connection as it leaves the pool; with asyncpg a check
is three round trips (BEGIN, an empty query, ROLLBACK), more than a short write transaction
itself. A connection handed back moments ago is as alive as the check would find it, so only a
connection idle for longer than `idle_seconds` is checked here. A connection that died since it
was last used (the server restarted under load) still fails the one statement that finds out;
SQLAlchemy then marks every older connection of the pool stale, so later checkouts reconnect.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool

_RETURNED = "runtime_returned_at"


def ping_when_idle(pool: Pool, idle_seconds: float) -> None:
    """Check each connection that left `pool` after more than `idle_seconds` in it."""

    def returned(_dbapi: Any, record: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    def leaving(dbapi: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_RETURNED)
        if since is None or time.monotonic() - since <= idle_seconds:
            return  # new, or used moments ago
        try:
            dbapi.ping()
        except Exception as exc:  # the pool replaces it with a fresh connection
            raise DisconnectionError(f"idle connection is gone: {exc}") from exc

    event.listen(pool, "checkin", returned)
    event.listen(pool, "checkout", leaving)
