"""DownloadWorker: claims pull jobs and runs them against the backend, reporting progress.

Does I/O: the database (through the store) and the backend (through a driver).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from runtime import errors
from runtime.background import wait_any
from runtime.backoff import doubling, equal_jitter
from runtime.db import Database
from runtime.downloads import store
from runtime.downloads.progress import ProgressHub
from runtime.downloads.types import JobStatus, Progress, PullJob
from runtime.observability import metrics
from runtime.observability.ops import Operations
from runtime.providers.base import Driver
from runtime.registry import store as registry_store
from runtime.registry.types import Backend

log = logging.getLogger("runtime.downloads")
Clock = Callable[[], datetime]
OnDone = Callable[[str, bool], Awaitable[None]]  # (backend id, pulled): after each pull ends


class PullPolicy:
    """Lease length, attempts and backoff of pulls."""

    def __init__(self, *, lease: float = 15.0, max_attempts: int = 5, backoff: float = 5.0) -> None:
        self.lease = timedelta(seconds=lease)
        self.max_attempts = max_attempts
        self.backoff = backoff

    def delay(self, attempts: int) -> timedelta:
        """Wait before the next try: `backoff` doubling to 10 min, equal jitter ([step/2, step])."""
        return timedelta(seconds=equal_jitter(doubling(attempts, first=self.backoff, cap=600.0)))


class DownloadWorker:
    """Runs one pull at a time; several workers may run side by side, even across replicas."""

    def __init__(
        self,
        db: Database,
        drivers: Callable[[Backend], Driver],
        hub: ProgressHub,
        *,
        policy: PullPolicy,
        on_done: OnDone | None = None,
        operations: Operations | None = None,
    ) -> None:
        self._db = db
        self._drivers = drivers
        self._hub = hub
        self._policy = policy
        self._on_done = on_done
        self._clock: Clock = lambda: datetime.now(UTC)
        self.owner = uuid.uuid4().hex[:16]
        self._running: dict[str, asyncio.Future[None]] = {}
        self._ops = operations or Operations()

    async def run_once(self) -> bool:
        """Claim and run one due job; False when none was due."""
        async with self._db.transaction() as session:
            job = await store.claim(session, self.owner, self._clock(), self._policy.lease)
            backend = (
                None if job is None else await registry_store.find_backend(session, job.backend_id)
            )
        if job is None:
            return False
        if backend is None:
            return True  # the backend was deleted; its jobs went with it
        pull = asyncio.ensure_future(self._pull(job, self._drivers(backend), backend.name))
        self._running[job.id] = pull
        try:
            await pull
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                await asyncio.shield(self._release(job))
                raise
            log.info("pull of %s on %s stopped: cancelled", job.model, job.base_url)
        finally:
            self._running.pop(job.id, None)
        return True

    def abort(self, job_ids: list[str]) -> None:
        """Stop the pulls of these jobs if this process runs them (they were cancelled)."""
        for job_id in job_ids:
            pull = self._running.get(job_id)
            if pull is not None:
                pull.cancel()

    async def _release(self, job: PullJob) -> None:
        """Shutting down mid-pull: give the job back so the next start resumes it at once."""
        async with self._db.transaction() as session:
            await store.settle(session, job, JobStatus.QUEUED, "", self._clock())

    async def _pull(self, job: PullJob, driver: Driver, backend: str) -> None:
        """One pull, recorded as a `pull` operation on `model@backend` and in the metrics."""
        started = time.perf_counter()
        subject = f"{job.model}@{backend}"
        try:
            pulled = await self._pulling(job, driver)
        except errors.Error as exc:
            await self._settle_failure(job, exc)
            seconds = time.perf_counter() - started
            self._ops.record(
                "pull", subject, ok=False, seconds=seconds, error=exc.message, attempt=job.attempts
            )
            metrics.child(metrics.pulls, "failed").inc()
            return
        if pulled is None:
            metrics.child(metrics.pulls, "cancelled").inc()
            return
        seconds = time.perf_counter() - started
        self._ops.record("pull", subject, ok=True, seconds=seconds, bytes=pulled)
        metrics.child(metrics.pulls, "done").inc()
        metrics.child(metrics.pulled_bytes, backend).inc(pulled)

    async def _pulling(self, job: PullJob, driver: Driver) -> int | None:
        """Pull to the end (the bytes pulled), or None when the job was cancelled meanwhile."""
        report = Progress(status="queued", model=job.model, base_url=job.base_url)
        # progress reaches the database (and so /queue on every replica) at least each second
        renew_every = min(self._policy.lease.total_seconds() / 3, 1.0)
        last_renew = asyncio.get_running_loop().time()
        async for step in driver.pull(job.model):
            report = Progress(
                status=step.status,
                model=job.model,
                base_url=job.base_url,
                digest=step.digest,
                total=step.total,
                completed=step.completed,
            )
            self._hub.publish(report)
            now = asyncio.get_running_loop().time()
            if now - last_renew >= renew_every:
                last_renew = now
                if not await self._renew(job, report):
                    log.info("pull of %s on %s was cancelled", job.model, job.base_url)
                    return None
        if self._on_done is not None:  # routable before the job is reported done
            await self._on_done(job.backend_id, True)  # noqa: FBT003
        async with self._db.transaction() as session:
            await store.finish(session, job)
        self._hub.publish(Progress(status="success", model=job.model, base_url=job.base_url))
        log.info("pulled %s onto %s", job.model, job.base_url)
        return report.completed or report.total

    async def _renew(self, job: PullJob, report: Progress) -> bool:
        async with self._db.transaction() as session:
            return await store.renew(
                session,
                job,
                self._clock(),
                self._policy.lease,
                total=report.total,
                completed=report.completed,
            )

    async def _settle_failure(self, job: PullJob, exc: errors.Error) -> None:
        now = self._clock()
        retry = exc.retryable and job.attempts < self._policy.max_attempts
        status = JobStatus.QUEUED if retry else JobStatus.FAILED
        not_before = now + self._policy.delay(job.attempts) if retry else now
        log.warning(
            "pull of %s on %s failed (attempt %d, %s): %s",
            job.model,
            job.base_url,
            job.attempts,
            "will retry" if retry else "giving up",
            exc.message,
        )
        async with self._db.transaction() as session:
            await store.settle(session, job, status, exc.message, now, not_before=not_before)
        self._hub.publish(
            Progress(status=f"error: {exc.message}", model=job.model, base_url=job.base_url)
        )
        if self._on_done is not None:
            await self._on_done(job.backend_id, False)  # noqa: FBT003


class DownloadLoop:
    """Runs a worker continuously: claims due jobs, sleeps when there are none or when woken."""

    def __init__(self, worker: DownloadWorker, *, poll: float) -> None:
        self._worker = worker
        self._poll = poll
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()
            if await self._worker.run_once():
                continue
            await wait_any(stop, self._wake, seconds=self._poll)
