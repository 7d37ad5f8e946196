"""Trigger dispatch: deliveries written with each event, then claimed and run by workers.

`Deliveries` is the event store's follower: in the event's own transaction it writes one job
per trigger listening for the event's type (none past the depth limit). `Dispatcher` claims a
due job under a lease, runs the function in the sandbox, and in one transaction records the
run and deletes the job, or schedules a retry with jittered exponential backoff.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from runtime.background import wait_any
from runtime.backoff import doubling, equal_jitter
from runtime.db import Database
from runtime.eventstore import Event
from runtime.functions import jobs
from runtime.functions.builtins import Builtins
from runtime.functions.types import Job, Run
from runtime.observability import metrics, tracing
from runtime.observability.ops import Operations
from runtime.sandbox import Outcome, RunStatus, Sandbox

log = logging.getLogger(__name__)
_FORGET_AFTER = 10_000
_PENDING = "runtime.functions.deliveries"


def script_event(event: Event) -> dict[str, Any]:
    """The event as scripts see it (`event` global and entry argument)."""
    return {
        "id": event.id,
        "nid": event.nid,
        "createdAt": event.created_at.isoformat(),
        "eventType": event.event_type,
        "eventSource": event.event_source,
        "aggregateID": event.aggregate_id,
        "aggregateType": event.aggregate_type,
        "version": event.version,
        "data": event.data,
        "metadata": event.metadata,
    }


def delivery_key(job: Job) -> str:
    """Names the delivery of one event to one trigger, the same on every attempt."""
    event = job.event
    parts = [job.trigger_name, event.get("id"), event.get("eventType"), event.get("eventSource")]
    parts.append(event.get("createdAt"))
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:20]


class Deliveries:
    """Writes trigger jobs alongside events and wakes the workers once they are committed."""

    def __init__(self, *, max_depth: int, clock: Callable[[], datetime]) -> None:
        self._max_depth = max_depth
        self._clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._wakers: list[asyncio.Event] = []
        self._with_jobs: set[int] = set()  # nids of events whose transaction wrote jobs

    def waker(self) -> asyncio.Event:
        wake = asyncio.Event()
        self._wakers.append(wake)
        return wake

    async def appended(self, session: AsyncSession, event: Event, depth: int) -> None:
        if depth > self._max_depth:
            log.warning(
                "event %s of type %r not delivered to triggers: depth %d exceeds %d",
                event.id,
                event.event_type,
                depth,
                self._max_depth,
            )
            return
        delivery = jobs.Delivery(
            nid=event.nid, event_type=event.event_type, event=script_event(event), depth=depth
        )
        session.info.setdefault(_PENDING, []).append(delivery)

    async def before_commit(self, session: AsyncSession) -> None:
        """The jobs of every event of the transaction, in one statement."""
        pending: list[jobs.Delivery] = session.info.pop(_PENDING, [])
        if not pending:
            return
        written = await jobs.enqueue(session, pending, self._clock())
        if written:
            if len(self._with_jobs) > _FORGET_AFTER:  # rolled-back appends leave theirs here
                self._with_jobs.clear()
            self._with_jobs.update(d.nid for d in pending)

    def committed(self, event: Event) -> None:
        """Wake the workers only when the event wrote deliveries (most events have none)."""
        if event.nid in self._with_jobs:
            self._with_jobs.discard(event.nid)
            self.wake()

    def wake(self) -> None:
        for wake in self._wakers:
            wake.set()


class RunPolicy:
    """How often a failed run is tried, how long to wait in between, how many records stay."""

    def __init__(self, *, attempts: int, backoff: float, runs_kept: int = 1000) -> None:
        self.attempts = attempts
        self.runs_kept = runs_kept
        self._backoff = backoff

    def delay(self, attempt: int) -> timedelta:
        """Wait before the next try: `backoff` doubling to 5 min, equal jitter ([step/2, step])."""
        return timedelta(seconds=equal_jitter(doubling(attempt, first=self._backoff, cap=300.0)))


class Dispatcher:
    """Claims one delivery at a time and runs it."""

    def __init__(
        self,
        db: Database,
        sandbox: Sandbox,
        builtins: Builtins,
        policy: RunPolicy,
        *,
        owner: str,
        operations: Operations | None = None,
    ) -> None:
        self._db = db
        self._ops = operations or Operations()
        self._sandbox = sandbox
        self._builtins = builtins
        self._policy = policy
        self._owner = owner
        self._clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        # the lease outlives the longest run, so a live worker never loses its job
        self._lease = timedelta(seconds=sandbox.longest + 5)

    async def run_once(self) -> bool:
        """Run one due delivery; False when there was none."""
        async with self._db.transaction() as session:
            claimed = await jobs.claim(session, self._owner, self._clock(), self._lease)
        if claimed is None:
            return False
        job, script = claimed
        started = self._clock()
        try:
            host = self._builtins.bound(depth=job.depth, delivery=delivery_key(job))
            with tracing.span(
                "function run", **{"function.name": job.function_name, "attempt": job.attempts}
            ) as opened:
                outcome = await self._sandbox.run(script, job.function_name, job.event, host)
                if outcome.status is not RunStatus.SUCCEEDED:
                    tracing.failed(opened, outcome.status.value)
        except asyncio.CancelledError:
            async with self._db.transaction() as session:
                await asyncio.shield(jobs.release(session, job, self._owner))
            raise
        await self._settle(job, outcome, started)
        return True

    async def _settle(self, job: Job, outcome: Outcome, started: datetime) -> None:
        run = Run(
            id=str(uuid.uuid4()),
            function_name=job.function_name,
            trigger_name=job.trigger_name,
            event_id=str(job.event.get("id", "")),
            event_type=str(job.event.get("eventType", "")),
            attempt=job.attempts,
            status=outcome.status,
            started_at=started,
            duration_ms=round(outcome.duration_ms, 3),
            error=outcome.error,
            logs=outcome.logs,
            result=outcome.result,
        )
        again = outcome.status is not RunStatus.SUCCEEDED and job.attempts < self._policy.attempts
        async with self._db.transaction() as session:
            await jobs.record_run(session, run, keep=self._policy.runs_kept)
            if again:
                when = self._clock() + self._policy.delay(job.attempts)
                await jobs.retry_later(session, job, self._owner, when)
            else:
                await jobs.finish(session, job, self._owner)
        self._account(job, outcome, again=again)
        if outcome.status is not RunStatus.SUCCEEDED:
            log.info(
                "function %r (trigger %r) attempt %d: %s: %s",
                job.function_name,
                job.trigger_name,
                job.attempts,
                outcome.status.value,
                outcome.error.splitlines()[0] if outcome.error else "",
            )

    def _account(self, job: Job, outcome: Outcome, *, again: bool) -> None:
        """The run in the metrics and as a `function` operation (its status in the detail)."""
        status = outcome.status.value
        seconds = outcome.duration_ms / 1000
        metrics.child(metrics.function_runs, job.function_name, status).inc()
        metrics.child(metrics.function_duration, job.function_name).observe(seconds)
        ok = outcome.status is RunStatus.SUCCEEDED
        delivery = "delivered" if ok else ("retry" if again else "gave_up")
        metrics.child(metrics.deliveries, delivery).inc()
        self._ops.record(
            "function",
            job.function_name,
            ok=ok,
            seconds=seconds,
            error=(outcome.error.splitlines()[0] if outcome.error else status) if not ok else "",
            status=status,
            trigger=job.trigger_name,
            attempt=job.attempts,
        )


class DispatchLoop:
    """One worker: runs due deliveries, sleeps until woken or the poll interval passes."""

    def __init__(self, dispatcher: Dispatcher, wake: asyncio.Event, *, poll: float) -> None:
        self._dispatcher = dispatcher
        self._wake = wake
        self._poll = poll

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()
            if await self._dispatcher.run_once():
                continue
            await wait_any(stop, self._wake, seconds=self._poll)
