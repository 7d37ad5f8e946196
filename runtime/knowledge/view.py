"""A file's indexing state as callers see it, from its row and its index job. Pure."""

from __future__ import annotations

from datetime import datetime

from runtime.jobs import Job, JobStatus
from runtime.knowledge.types import Indexing, IndexState, Node


def indexing_of(node: Node, job: Job | None, now: datetime) -> Indexing:
    """While a job exists it tells the state (pending, indexing, failed); else the row does."""
    if job is None:
        state = IndexState(node.index_state or IndexState.PENDING.value)
        return Indexing(state=state, chunks=node.chunk_count, reason=node.index_error)
    if job.status is JobStatus.FAILED:
        return Indexing(state=IndexState.FAILED, reason=job.error)
    if job.status is JobStatus.LEASED and job.lease_until is not None and job.lease_until >= now:
        return Indexing(state=IndexState.INDEXING)
    return Indexing(state=IndexState.PENDING, reason=job.error)
