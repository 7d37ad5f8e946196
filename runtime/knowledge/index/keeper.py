"""IndexKeeper: keeps this process's vector index equal to the chunks in the database.

Rebuilt from the database at start; local changes are applied as they commit; on PostgreSQL
every change is also announced (`pg_notify` inside the changing transaction, so it goes out
on commit) and each replica's keeper reloads the files it names.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from runtime import errors
from runtime.background import wait_any
from runtime.db import Database
from runtime.db.dialect import is_postgres
from runtime.knowledge.index import store
from runtime.knowledge.index.vectors import VectorIndex

CHANNEL = "runtime_knowledge"
_NOTIFY = text("SELECT pg_notify(:channel, :payload)")
_MAX_IDS = 100  # more files than this in one change: replicas rebuild instead

log = logging.getLogger("runtime.knowledge")


class Change(msgspec.Struct, frozen=True):
    """Which files' chunks changed (`all`: too many to name), and where it happened."""

    node: str
    files: list[str] = msgspec.field(default_factory=list)
    all: bool = False


async def announce(session: AsyncSession, node: str, file_ids: Sequence[str]) -> None:
    """Tell the other replicas, on commit, that these files' chunks changed (PostgreSQL)."""
    if not file_ids or not is_postgres(session):
        return
    change = (
        Change(node=node, files=list(file_ids))
        if len(file_ids) <= _MAX_IDS
        else Change(node=node, all=True)
    )
    payload = msgspec.json.encode(change).decode()
    await session.execute(_NOTIFY, {"channel": CHANNEL, "payload": payload})


class IndexKeeper:
    """Owns the vector index of the process and the loop that keeps it current."""

    def __init__(self, db: Database, node: str, *, dsn: str | None = None) -> None:
        self.index = VectorIndex()
        self.node = node
        self._db = db
        self._dsn = dsn
        self._stale: set[str] = set()
        self._rebuild = True
        self._wake = asyncio.Event()
        self._ready = asyncio.Event()

    async def ready(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109 - a plain bound
        """Wait until the index was first built from the database (503 past `timeout`)."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            raise errors.UnavailableError("the vector index is still being built") from None

    def removed(self, file_ids: Iterable[str]) -> None:
        """The files' chunks left the database (committed): out of results at once."""
        self.index.drop(list(file_ids))

    def stored(self, file_id: str, ids: Sequence[int], vectors: Sequence[bytes]) -> None:
        """The file's chunks are now these (committed)."""
        self.index.put(file_id, ids, vectors)

    def stale(self, file_ids: Iterable[str], *, everything: bool = False) -> None:
        """Reload these files from the database soon (another replica changed them)."""
        self._stale.update(file_ids)
        self._rebuild = self._rebuild or everything
        self._wake.set()

    async def run_once(self) -> None:
        if self._rebuild:
            self._rebuild, self._stale = False, set()
            await self._load(None)
            self._ready.set()
        elif self._stale:
            files, self._stale = sorted(self._stale), set()
            await self._load(files)

    async def _load(self, files: list[str] | None) -> None:
        started = time.monotonic()
        by_file: dict[str, tuple[list[int], list[bytes]]] = {}
        async with self._db.transaction() as session:
            async for chunk_id, file_id, vector in store.vectors(session, files):
                ids, vectors = by_file.setdefault(file_id, ([], []))
                ids.append(chunk_id)
                vectors.append(vector)
        if files is None:
            self.index.clear()
        else:
            self.index.drop(files)
        for file_id, (ids, vectors) in by_file.items():
            self.index.put(file_id, ids, vectors)
        if files is None:
            log.info(
                "vector index built: %d chunks in %.2fs",
                self.index.size,
                time.monotonic() - started,
            )

    async def run(self, stop: asyncio.Event) -> None:
        conn = await asyncpg.connect(self._dsn) if self._dsn else None
        lost = asyncio.Event()
        try:
            if conn is not None:
                conn.add_termination_listener(lambda _: _both(lost, self._wake))
                await conn.add_listener(CHANNEL, self._received)
            self._rebuild = True  # a restart may have missed notices
            while not stop.is_set():
                if lost.is_set():
                    raise ConnectionError("the LISTEN connection was lost")  # Background restarts
                self._wake.clear()
                await self.run_once()
                await wait_any(stop, self._wake, seconds=30.0)
        finally:
            if conn is not None and not conn.is_closed():
                await conn.close()

    def _received(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            change = msgspec.json.decode(payload, type=Change)
        except msgspec.DecodeError:
            log.warning("ignored a malformed notice on %s", CHANNEL)
            return
        if change.node != self.node:
            self.stale(change.files, everything=change.all)


def _both(first: asyncio.Event, second: asyncio.Event) -> None:
    first.set()
    second.set()
