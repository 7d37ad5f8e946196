"""IndexPipeline: embed a file's chunks and store them, for the built-in and external workers.

Storing happens in one transaction that checks the lease: the old chunks go, the new ones
come with their vectors and keywords, the file is marked indexed (and, for the built-in
indexer, the job finishes). A crash before the commit leaves nothing; after it, nothing is
stored twice because a file's chunks are always replaced whole or appended after the last.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from runtime import errors
from runtime.db import Database
from runtime.jobs import Job
from runtime.jobs import store as jobs
from runtime.knowledge import store
from runtime.knowledge.index import store as chunks
from runtime.knowledge.index.keeper import IndexKeeper, announce
from runtime.knowledge.index.vectors import unit
from runtime.knowledge.keywords import keywords
from runtime.knowledge.ports import Embedder
from runtime.knowledge.types import INDEX_JOB, IndexState, NodeKind

BATCH = 32  # texts per embedding request


class Stored(msgspec.Struct, frozen=True, kw_only=True):
    """What a submission stored: the chunk ids and each chunk's keywords."""

    file_id: str
    chunk_ids: list[int]
    keywords: list[list[str]]


class IndexPipeline:
    """Embedding through the routed embedder, storage under the job's lease."""

    def __init__(
        self,
        db: Database,
        embedder: Embedder,
        keeper: IndexKeeper,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._embedder = embedder
        self._keeper = keeper
        self._clock = clock

    async def embed(
        self, texts: Sequence[str], between: Callable[[], Awaitable[None]] | None = None
    ) -> list[bytes]:
        """Unit float32 vectors of `texts`, embedded `BATCH` at a time (`between` batches)."""
        found: list[bytes] = []
        for start in range(0, len(texts), BATCH):
            if between is not None and start:
                await between()
            batch = list(texts[start : start + BATCH])
            vectors = await self._embedder.embed(batch)
            if len(vectors) != len(batch):
                raise errors.UpstreamError(
                    "the embedding backend answered a wrong number of vectors"
                )
            found.extend(unit(v).tobytes() for v in vectors)
        return found

    async def check(self, file_id: str, job_id: str, leaser_id: str, now: datetime) -> Job:
        """The job, if it is the file's index job and the leaser holds it (404/409/422)."""
        async with self._db.transaction() as session:
            await store.get_node(session, file_id, NodeKind.FILE)
            job = await jobs.held(session, job_id, leaser_id, now)
        _belongs(job, file_id)
        return job

    async def store(
        self,
        job: Job,
        texts: Sequence[str],
        vectors: Sequence[bytes],
        now: datetime,
        *,
        replace: bool = True,
        finish: bool = False,
    ) -> Stored:
        """Store the chunks of the job's file (checking the lease once more)."""
        file_id = job.subject
        assert job.leaser_id is not None  # noqa: S101 - a held job has its leaser
        words = await asyncio.to_thread(lambda: [keywords(t) for t in texts])
        prepared = [
            chunks.StoredChunk(text=t, vector=v, keywords=w)
            for t, v, w in zip(texts, vectors, words, strict=True)
        ]
        async with self._db.transaction() as session:
            await store.get_node(session, file_id, NodeKind.FILE)
            await jobs.held(session, job.id, job.leaser_id, now)
            first = 0
            if replace:
                await chunks.delete_chunks(session, file_id)
            else:
                first = await chunks.chunk_count(session, file_id)
            ids = await chunks.add_chunks(session, file_id, first, prepared)
            await store.update_node(
                session,
                file_id,
                now,
                index_state=IndexState.INDEXED.value,
                index_error="",
                chunk_count=first + len(ids),
            )
            if finish:
                await jobs.finish(session, job.id)
            await announce(session, self._keeper.node, [file_id])
            every = list(await _all_vectors(session, file_id)) if not replace else None
        if every is None:
            self._keeper.stored(file_id, ids, list(vectors))
        else:
            self._keeper.stored(file_id, [i for i, _ in every], [v for _, v in every])
        return Stored(file_id=file_id, chunk_ids=ids, keywords=words)

    async def submit(
        self, file_id: str, job_id: str, leaser_id: str, texts: list[str], *, replace: bool
    ) -> Stored:
        """An external worker's chunks for the file it holds the index job of (`POST /index`).

        The job stays leased: the worker finishes it with `PATCH /jobs/{id}/done`.
        """
        if any(not t.strip() for t in texts):
            raise errors.InvalidInputError("chunks must not be empty", param="chunks")
        job = await self.check(file_id, job_id, leaser_id, self._clock())
        vectors = await self.embed(texts)
        return await self.store(job, texts, vectors, self._clock(), replace=replace)

    async def settle_unsupported(self, job: Job, now: datetime, reason: str) -> None:
        """The file's type is not one we read: kept, marked unsupported, the job done."""
        async with self._db.transaction() as session:
            assert job.leaser_id is not None  # noqa: S101
            await jobs.held(session, job.id, job.leaser_id, now)
            await chunks.delete_chunks(session, job.subject)
            await store.update_node(
                session,
                job.subject,
                now,
                index_state=IndexState.UNSUPPORTED.value,
                index_error=reason,
                chunk_count=0,
            )
            await jobs.finish(session, job.id)
            await announce(session, self._keeper.node, [job.subject])
        self._keeper.removed([job.subject])


async def _all_vectors(session: AsyncSession, file_id: str) -> list[tuple[int, bytes]]:
    return [(cid, vec) async for cid, _, vec in chunks.vectors(session, [file_id])]


def _belongs(job: Job, file_id: str) -> None:
    if job.job_type != INDEX_JOB or job.subject != file_id:
        raise errors.InvalidInputError(
            f"job {job.id} is not the index job of file {file_id}", param="jobId"
        )
