"""Indexer: the built-in leaser of index jobs, one loop in every server process.

Leases a job, reads the file, extracts its text (in a worker thread), chunks it, embeds the
chunks through the pipeline and stores them with the job's end in one transaction. Without an
embedding backend the job goes back to pending with the reason, its attempt not counted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec

from runtime import errors
from runtime.background import wait_any
from runtime.db import Database
from runtime.jobs import Job
from runtime.jobs import store as jobs
from runtime.knowledge import store
from runtime.knowledge.chunk import chunks
from runtime.knowledge.extract import ExtractError, extract
from runtime.knowledge.pipeline import IndexPipeline
from runtime.knowledge.types import INDEX_JOB, Node, NodeKind
from runtime.observability import metrics
from runtime.observability.ops import Operations

log = logging.getLogger("runtime.knowledge")
WAITING = "waiting for an embedding backend: "


class IndexPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How long a lease runs, when a failed job is tried again, how long a chunk is."""

    lease: float = 60.0
    retry_in: float = 5.0
    chunk_size: int = 1000


class Indexer:
    """Runs one index job at a time under the lease of `leaser_id`."""

    def __init__(
        self,
        db: Database,
        pipeline: IndexPipeline,
        *,
        leaser_id: str,
        policy: IndexPolicy,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        operations: Operations | None = None,
    ) -> None:
        self._ops = operations or Operations()
        self._db = db
        self._pipeline = pipeline
        self.leaser_id = leaser_id
        self._lease = policy.lease
        self._retry_in = policy.retry_in
        self._chunk_size = policy.chunk_size
        self._clock = clock

    async def run_once(self) -> bool:
        """Index the oldest due file; False when there was none."""
        async with self._db.transaction() as session:
            job = await jobs.claim(
                session, self.leaser_id, (INDEX_JOB,), self._clock(), self._lease
            )
        if job is None:
            return False
        started = time.perf_counter()
        outcome, error = "indexed", ""
        try:
            outcome = await self._index(job)
        except errors.UnavailableError as exc:
            outcome, error = "waiting", exc.message
            await self._settle(job, WAITING + exc.message, counted=False)
        except (errors.Error, ExtractError) as exc:
            outcome, error = "failed", str(exc)
            await self._settle(job, str(exc))
        metrics.child(metrics.index_jobs, outcome).inc()
        self._ops.record(
            "index",
            job.subject,
            ok=outcome in ("indexed", "unsupported"),
            seconds=time.perf_counter() - started,
            error=error,
            outcome=outcome,
        )
        return True

    async def _index(self, job: Job) -> str:
        node, data = await self._content(job.subject)
        text = await asyncio.to_thread(extract, node.content_type, data)
        del data
        if text is None:
            reason = f"files of type {node.content_type} are kept but not indexed"
            await self._pipeline.settle_unsupported(job, self._clock(), reason)
            return "unsupported"
        pieces = await asyncio.to_thread(chunks, text, size=self._chunk_size)
        vectors = await self._pipeline.embed(pieces, between=lambda: self._renew(job))
        await self._pipeline.store(job, pieces, vectors, self._clock(), finish=True)
        return "indexed"

    async def _renew(self, job: Job) -> None:
        """Keep the lease while a large file is embedded; stop if it was lost."""
        async with self._db.transaction() as session:
            kept = await jobs.renew(session, job.id, self.leaser_id, self._clock(), self._lease)
        if not kept:
            raise errors.ConflictError(f"the lease on job {job.id} was lost")

    async def _content(self, file_id: str) -> tuple[Node, bytes]:
        async with self._db.transaction() as session:
            node = await store.get_node(session, file_id, NodeKind.FILE)
        parts: list[bytes] = []
        seq = 0
        while True:
            async with self._db.transaction() as session:
                piece = await store.read_piece(session, file_id, seq, node.revision)
            if piece is None:
                return node, b"".join(parts)
            parts.append(piece)
            seq += 1

    async def _settle(self, job: Job, reason: str, *, counted: bool = True) -> None:
        log.info("index job %s of file %s: %s", job.id, job.subject, reason)
        async with self._db.transaction() as session:
            try:
                held = await jobs.held(session, job.id, self.leaser_id, self._clock())
            except errors.Error:
                return  # replaced or deleted meanwhile: nothing to give back
            await jobs.settle(
                session, held, reason, self._clock(), retry_in=self._retry_in, counted=counted
            )


class IndexLoop:
    """Runs the indexer continuously; woken when a file is stored, polling otherwise."""

    def __init__(self, indexer: Indexer, *, poll: float = 1.0) -> None:
        self._indexer = indexer
        self._poll = poll
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()
            if await self._indexer.run_once():
                continue
            await wait_any(stop, self._wake, seconds=self._poll)
