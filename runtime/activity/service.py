"""Activity: finished requests and operations, bounded in memory, kept in the database.

Requests and operations wait in bounded queues and are written in one batch per `interval`
(the `run` loop), so answering a request costs two appends; if the database falls behind, the
oldest unsaved records are dropped and counted. Reads first write this process's queue, then
read the database: on PostgreSQL a replica sees every replica's records.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from runtime import errors
from runtime.activity import alerts as rules
from runtime.activity import store
from runtime.activity.types import (
    Alert,
    InFlight,
    OperationPage,
    RequestOut,
    RequestPage,
    RequestState,
)
from runtime.background import wait_any
from runtime.db import Database
from runtime.nul import escape_nul
from runtime.observability import metrics
from runtime.observability.ops import Operation, Operations
from runtime.observability.record import RequestRecord

log = logging.getLogger("runtime.activity")
PRUNE_EVERY = 60.0  # seconds
dropped = metrics.counter(
    "runtime_activity_dropped_total", "Activity records dropped before they were stored"
)


@dataclass(frozen=True)
class Bounds:
    """How much is kept: waiting in memory, how long and how many rows in the database."""

    keep: int = 10_000
    retention: float = 86_400.0
    rows: int = 100_000
    interval: float = 1.0  # seconds between writes
    alerts: rules.Rules = field(default_factory=rules.Rules)


class Activity:
    """This process's activity records, and the queries of the activity API."""

    def __init__(
        self, db: Database, node: str, operations: Operations, bounds: Bounds | None = None
    ) -> None:
        bounds = bounds or Bounds()
        self._db = db
        self._node = node
        self.operations = operations
        self._unsaved: deque[RequestRecord] = deque()
        self._keep = bounds.keep
        self._retention = bounds.retention
        self._rows = bounds.rows
        self._interval = bounds.interval
        self._rules = bounds.alerts
        self._clock: Callable[[], float] = time.time
        self._running: dict[int, RequestRecord] = {}
        self._lock = asyncio.Lock()
        self._pruned = 0.0
        self._written = 0  # records stored since the last prune

    # the request path: two dict/deque operations
    def started(self, record: RequestRecord) -> None:
        self._running[id(record)] = record

    def finished(self, record: RequestRecord) -> None:
        self._running.pop(id(record), None)
        if len(self._unsaved) >= self._keep:
            self._unsaved.popleft()
            dropped.inc()
        self._unsaved.append(record)

    def unsaved(self) -> int:
        return len(self._unsaved) + len(self.operations.unsaved)

    async def run(self, stop: asyncio.Event) -> None:
        """Write queued records every `interval`; prune once a minute."""
        while not stop.is_set():
            await wait_any(stop, seconds=self._interval)
            try:
                await self.flush()
                # often enough that the tables never hold much more than their bound
                due = self._written >= max(self._rows // 10, 1)
                if due or self._clock() - self._pruned >= PRUNE_EVERY:
                    await self.prune()
            except errors.Error as exc:
                log.warning("activity records not stored yet: %s", exc.message)
        with contextlib.suppress(errors.Error):
            await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            taken = list(self._unsaved)
            self._unsaved.clear()
            ops = self.operations.drain()
            if not taken and not ops:
                return
            try:
                requests = [self._request_row(r) for r in taken]
                operations = [self._operation_row(o) for o in ops]
                self._written += await self._db.write(
                    functools.partial(store.add, requests=requests, operations=operations)
                )
            except errors.Error:
                self._unsaved.extendleft(reversed(taken[-self._keep :]))
                self.operations.unsaved.extendleft(reversed(ops))
                raise

    async def prune(self) -> int:
        self._pruned, self._written = self._clock(), 0
        older_than = datetime.now(UTC) - timedelta(seconds=self._retention)
        return await self._db.write(
            functools.partial(store.prune, older_than=older_than, keep=self._rows)
        )

    async def requests(self, *, limit: int, before: int | None, **filters: Any) -> RequestPage:
        await self.flush()
        async with self._db.transaction() as session:
            found = await store.requests(session, limit=limit + 1, before=before, **filters)
        page = found[:limit]
        return RequestPage(requests=page, next=page[-1].cursor if len(found) > limit else None)

    async def request(self, request_id: str) -> RequestOut:
        await self.flush()
        async with self._db.transaction() as session:
            found = await store.requests(session, limit=1, request_id=request_id)
        if not found:
            raise errors.NotFoundError(f"no request {request_id} in the activity records")
        return found[0]

    async def state(self, request_id: str) -> RequestState:
        await self.flush()
        async with self._db.transaction() as session:
            found = await store.chain_state(session, request_id)
        if found is None:
            raise errors.NotFoundError(f"no request {request_id} in the activity records")
        if found.steps is None:
            raise errors.NotFoundError(f"request {request_id} ran no chain")
        return found

    async def operation_page(
        self, *, limit: int, before: int | None = None, **filters: Any
    ) -> OperationPage:
        await self.flush()
        async with self._db.transaction() as session:
            found = await store.operations(session, limit=limit + 1, before=before, **filters)
        page = found[:limit]
        return OperationPage(operations=page, next=page[-1].cursor if len(found) > limit else None)

    async def alerts(self, depths: Mapping[str, int]) -> list[Alert]:
        await self.flush()
        async with self._db.transaction() as session:
            found = await store.operations(session, limit=2000)
        seen = (
            rules.Seen(
                op=row.op,
                subject=row.subject,
                ok=row.outcome == "ok",
                at=row.startedAt,
                error=row.error or "",
            )
            for row in found
        )
        return rules.alerts(seen, depths, self._rules)

    def running(self, *, besides: RequestRecord | None = None) -> list[InFlight]:
        now = time.perf_counter()
        return [
            InFlight(
                id=record.id,
                method=record.method,
                path=record.path,
                startedAt=_iso(record.started_at),
                elapsedMs=round((now - record.started) * 1000, 3),
                model=record.model or None,
                backend=record.backend or None,
                chain=record.chain or None,
                steps=len(record.steps or ()),
            )
            for record in list(self._running.values())
            if record is not besides
        ]

    def _request_row(self, record: RequestRecord) -> dict[str, Any]:
        detail = record.detail()
        if record.steps is not None:
            detail["steps"] = record.steps
        return {
            "request_id": record.id,
            "node": self._node,
            "started_at": datetime.fromtimestamp(record.started_at, UTC),
            "method": record.method,
            "route": record.route,
            "status": record.status,
            "duration_ms": round(record.duration * 1000, 3),
            "model": record.model,
            "backend": record.backend,
            "key_prefix": record.key,
            "error": escape_nul(record.error),
            "detail": _json(detail),
        }

    def _operation_row(self, entry: Operation) -> dict[str, Any]:
        return {
            "op": entry.op,
            "subject": escape_nul(entry.subject),
            "node": self._node,
            "started_at": datetime.fromtimestamp(entry.started_at, UTC),
            "duration_ms": round(entry.seconds * 1000, 3),
            "outcome": entry.outcome,
            "error": escape_nul(entry.error),
            "detail": _json(entry.detail),
        }


_encoder = msgspec.json.Encoder()


def _json(value: Any) -> str:
    r"""JSON text; a NUL in it is written `\u0000`, which PostgreSQL's text holds."""
    return _encoder.encode(value).decode()


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()
