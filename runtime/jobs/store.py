"""SQL for the leased job queue: one row per (type, subject), leased with an expiry, finished."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runtime import errors
from runtime.db.dialect import insert, is_postgres
from runtime.db.paging import paged
from runtime.db.tables.jobs import JobRow
from runtime.jobs.types import Job, JobStatus
from runtime.paging import PageRequest

_PENDING, _LEASED, _FAILED = (s.value for s in JobStatus)


def _job(row: JobRow) -> Job:
    return msgspec.convert(row, Job, from_attributes=True)


def _due(now: datetime) -> Any:
    return or_(
        (JobRow.status == _PENDING) & (JobRow.not_before <= now),
        (JobRow.status == _LEASED) & (JobRow.lease_until < now),
    )


async def enqueue(
    session: AsyncSession,
    job_type: str,
    subject: str,
    payload: dict[str, Any],
    now: datetime,
    *,
    max_attempts: int,
) -> str:
    """Queue the job of (type, subject), or start it afresh if one exists; its id.

    A lease on the old job ends here: its holder's `done` or `failed` answers 409.
    """
    fresh = {
        "payload": payload,
        "status": _PENDING,
        "attempts": 0,
        "max_attempts": max_attempts,
        "error": "",
        "leaser_id": None,
        "lease_until": None,
        "not_before": now,
        "updated_at": now,
    }
    stmt = insert(session, JobRow).values(
        id=str(uuid.uuid4()), job_type=job_type, subject=subject, created_at=now, **fresh
    )
    stmt = stmt.on_conflict_do_update(index_elements=[JobRow.job_type, JobRow.subject], set_=fresh)
    job_id = await session.scalar(stmt.returning(JobRow.id))
    assert job_id is not None  # noqa: S101 - an upsert always returns its row
    return str(job_id)


async def delete_jobs(session: AsyncSession, job_type: str, subjects: Iterable[str]) -> None:
    await session.execute(
        delete(JobRow).where(JobRow.job_type == job_type, JobRow.subject.in_(list(subjects)))
    )


async def claim(
    session: AsyncSession, leaser_id: str, job_types: tuple[str, ...], now: datetime, lease: float
) -> Job | None:
    """Lease the oldest due job of one of `job_types`; expired leases out of attempts fail."""
    await session.execute(
        update(JobRow)
        .where(
            JobRow.status == _LEASED,
            JobRow.lease_until < now,
            JobRow.attempts >= JobRow.max_attempts,
        )
        .values(status=_FAILED, error="the lease ran out on the last attempt", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    stmt = (
        select(JobRow)
        .where(_due(now), JobRow.job_type.in_(job_types), JobRow.attempts < JobRow.max_attempts)
        .order_by(JobRow.created_at, JobRow.id)
        .limit(1)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    row = await session.scalar(stmt)
    if row is None:
        return None
    row.status, row.leaser_id, row.lease_until = _LEASED, leaser_id, now + timedelta(seconds=lease)
    row.attempts += 1
    row.updated_at = now
    await session.flush()
    return _job(row)


async def get_job(session: AsyncSession, job_id: str) -> Job:
    row = await session.get(JobRow, job_id)
    if row is None:
        raise errors.NotFoundError(f"job {job_id} not found", param="id")
    return _job(row)


async def find_job(session: AsyncSession, job_type: str, subject: str) -> Job | None:
    row = await session.scalar(
        select(JobRow).where(JobRow.job_type == job_type, JobRow.subject == subject)
    )
    return None if row is None else _job(row)


async def jobs_of(session: AsyncSession, job_type: str, subjects: list[str]) -> dict[str, Job]:
    """The jobs of `job_type` about these subjects, by subject."""
    if not subjects:
        return {}
    rows = await session.scalars(
        select(JobRow).where(JobRow.job_type == job_type, JobRow.subject.in_(subjects))
    )
    return {row.subject: _job(row) for row in rows}


async def held(session: AsyncSession, job_id: str, leaser_id: str, now: datetime) -> Job:
    """The job, locked for this transaction, if `leaser_id` holds its lease; 404 or 409 if not."""
    stmt = select(JobRow).where(JobRow.id == job_id)
    if is_postgres(session):
        stmt = stmt.with_for_update()
    row = await session.scalar(stmt)
    if row is None:
        raise errors.NotFoundError(f"job {job_id} not found", param="id")
    job = _job(row)
    if not job.held_by(leaser_id, now):
        raise errors.ConflictError(
            f"job {job_id} is not leased by {leaser_id} (or the lease ran out)", param="leaserId"
        )
    return job


async def renew(
    session: AsyncSession, job_id: str, leaser_id: str, now: datetime, lease: float
) -> bool:
    """Extend a lease its holder still has; False when it ran out or was taken."""
    result = await session.execute(
        update(JobRow)
        .where(
            JobRow.id == job_id,
            JobRow.leaser_id == leaser_id,
            JobRow.status == _LEASED,
            JobRow.lease_until >= now,
        )
        .values(lease_until=now + timedelta(seconds=lease), updated_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


async def finish(session: AsyncSession, job_id: str) -> None:
    await session.execute(delete(JobRow).where(JobRow.id == job_id))


async def settle(
    session: AsyncSession,
    job: Job,
    error: str,
    now: datetime,
    *,
    retry_in: float,
    counted: bool = True,
) -> JobStatus:
    """Give the job back after a failed attempt: pending after `retry_in`, or failed for good.

    `counted=False` hands it back without using up an attempt (the work could not start).
    """
    attempts = job.attempts if counted else job.attempts - 1
    status = JobStatus.FAILED if attempts >= job.max_attempts else JobStatus.PENDING
    await session.execute(
        update(JobRow)
        .where(JobRow.id == job.id)
        .values(
            status=status.value,
            attempts=attempts,
            error=error,
            leaser_id=None,
            lease_until=None,
            not_before=now + timedelta(seconds=retry_in),
            updated_at=now,
        )
    )
    return status


async def list_jobs(
    session: AsyncSession, *, in_progress: bool, now: datetime, page: PageRequest
) -> list[Job]:
    """Jobs waiting for a leaser (pending, `scheduledFor` says from when) or under a lease."""
    waiting = or_(
        JobRow.status == _PENDING, (JobRow.status == _LEASED) & (JobRow.lease_until < now)
    )
    where = (
        (JobRow.status == _LEASED) & (JobRow.lease_until >= now)
        if in_progress
        else waiting & (JobRow.attempts < JobRow.max_attempts)
    )
    rows = await session.scalars(
        paged(select(JobRow).where(where), JobRow.created_at, JobRow.id, page)
    )
    return [_job(row) for row in rows]
