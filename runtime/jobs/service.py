"""JobService: leasing, finishing and failing jobs for workers inside and outside the server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from runtime import errors
from runtime.db import Database
from runtime.jobs import store
from runtime.jobs.types import Job, Lease
from runtime.paging import PageRequest


class JobService:
    """The queue's use cases, one transaction each; `clock` is injectable for lease expiry."""

    def __init__(
        self,
        db: Database,
        *,
        retry_in: float = 5.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._retry_in = retry_in
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    async def lease(self, lease: Lease) -> Job | None:
        """The oldest due job of one of the types, now held by the leaser; None if none."""
        if not lease.leaser_id.strip():
            raise errors.InvalidInputError("leaserId must not be empty", param="leaserId")
        if not lease.job_types:
            raise errors.InvalidInputError("jobTypes must name at least one type", param="jobTypes")
        async with self._db.transaction() as session:
            return await store.claim(
                session, lease.leaser_id, lease.job_types, self.now(), lease.duration
            )

    async def done(self, job_id: str, leaser_id: str) -> None:
        """The job succeeded and leaves the queue (409 unless the leaser holds it)."""
        async with self._db.transaction() as session:
            await store.held(session, job_id, leaser_id, self.now())
            await store.finish(session, job_id)

    async def failed(self, job_id: str, leaser_id: str, error: str) -> Job:
        """The attempt failed: the job is pending again later, or failed once out of attempts."""
        async with self._db.transaction() as session:
            job = await store.held(session, job_id, leaser_id, self.now())
            await store.settle(session, job, error, self.now(), retry_in=self._retry_in)
            return await store.get_job(session, job_id)

    async def pending(self, page: PageRequest) -> list[Job]:
        async with self._db.transaction() as session:
            return await store.list_jobs(session, in_progress=False, now=self.now(), page=page)

    async def in_progress(self, page: PageRequest) -> list[Job]:
        async with self._db.transaction() as session:
            return await store.list_jobs(session, in_progress=True, now=self.now(), page=page)
