"""SQL for the pull queue: enqueue once per (backend, model), claim with a lease, finish."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.db.dialect import insert, is_postgres
from runtime.db.tables.downloads import PullJobRow
from runtime.downloads.types import JobStatus, PullJob

_ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
_SETTLED = (JobStatus.FAILED.value, JobStatus.CANCELLED.value)


def _job(row: PullJobRow) -> PullJob:
    return msgspec.convert(row, PullJob, from_attributes=True)


async def enqueue(
    session: AsyncSession,
    backend_id: str,
    base_url: str,
    model: str,
    now: datetime,
    *,
    retry_after: timedelta,
) -> bool:
    """Queue a pull unless one exists; a failed or cancelled one is requeued once it is old.

    Returns True when a pull was queued. Safe against concurrent callers (replicas reconciling
    at once): the row is inserted if absent (`ON CONFLICT DO NOTHING`, which waits for a racing
    insert to commit or roll back), and a settled row is requeued by an UPDATE whose condition
    is checked again on the row as the winner left it; so exactly one caller gets True.
    """
    inserted = await session.scalar(
        insert(session, PullJobRow)
        .values(
            id=str(uuid.uuid4()),
            backend_id=backend_id,
            base_url=base_url,
            model=model,
            status=JobStatus.QUEUED.value,
            attempts=0,
            error="",
            total=0,
            completed=0,
            not_before=now,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=[PullJobRow.backend_id, PullJobRow.model])
        .returning(PullJobRow.id)
    )
    if inserted is not None:
        return True
    requeued = await session.execute(
        update(PullJobRow)
        .where(
            PullJobRow.backend_id == backend_id,
            PullJobRow.model == model,
            PullJobRow.status.in_(_SETTLED),
            PullJobRow.updated_at <= now - retry_after,
        )
        .values(
            status=JobStatus.QUEUED.value,
            attempts=0,
            error="",
            not_before=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(requeued, "rowcount", 0))


async def claim(
    session: AsyncSession, owner: str, now: datetime, lease: timedelta
) -> PullJob | None:
    """Take the oldest due job (or one whose lease ran out) for `owner`."""
    due = or_(
        (PullJobRow.status == JobStatus.QUEUED.value) & (PullJobRow.not_before <= now),
        (PullJobRow.status == JobStatus.RUNNING.value) & (PullJobRow.lease_until < now),
    )
    stmt = select(PullJobRow).where(due).order_by(PullJobRow.created_at).limit(1)
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    row = await session.scalar(stmt)
    if row is None:
        return None
    row.status, row.lease_owner, row.lease_until = JobStatus.RUNNING.value, owner, now + lease
    row.attempts += 1
    row.updated_at = now
    await session.flush()
    return _job(row)


async def renew(
    session: AsyncSession,
    job: PullJob,
    now: datetime,
    lease: timedelta,
    *,
    total: int,
    completed: int,
) -> bool:
    """Extend the lease and record progress; False when the job was cancelled or taken."""
    result = await session.execute(
        update(PullJobRow)
        .where(
            PullJobRow.id == job.id,
            PullJobRow.lease_owner == job.lease_owner,
            PullJobRow.status == JobStatus.RUNNING.value,
        )
        .values(lease_until=now + lease, total=total, completed=completed, updated_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


async def finish(session: AsyncSession, job: PullJob) -> None:
    """The pull succeeded: the job is done and leaves the queue."""
    await session.execute(
        delete(PullJobRow).where(PullJobRow.id == job.id, PullJobRow.lease_owner == job.lease_owner)
    )


async def settle(
    session: AsyncSession,
    job: PullJob,
    status: JobStatus,
    error: str,
    now: datetime,
    *,
    not_before: datetime | None = None,
) -> None:
    """Record an unsuccessful attempt: queued again (with a delay), failed or cancelled."""
    await session.execute(
        update(PullJobRow)
        .where(PullJobRow.id == job.id, PullJobRow.lease_owner == job.lease_owner)
        .values(
            status=status.value,
            error=error,
            lease_owner=None,
            lease_until=None,
            not_before=not_before or now,
            updated_at=now,
        )
    )


async def cancel(
    session: AsyncSession, now: datetime, *, base_url: str | None, model: str | None
) -> list[str]:
    """Mark active jobs of a backend URL or a model cancelled; return their ids."""
    match = PullJobRow.base_url == base_url if base_url else PullJobRow.model == model
    ids = list(
        await session.scalars(select(PullJobRow.id).where(match, PullJobRow.status.in_(_ACTIVE)))
    )
    if ids:
        await session.execute(
            update(PullJobRow)
            .where(PullJobRow.id.in_(ids))
            .values(
                status=JobStatus.CANCELLED.value,
                error="cancelled by request",
                lease_owner=None,
                lease_until=None,
                updated_at=now,
            )
        )
    return ids


async def remove_model(session: AsyncSession, model: str) -> list[str]:
    """Delete every job of a model, whatever its state; return their ids."""
    ids = list(await session.scalars(select(PullJobRow.id).where(PullJobRow.model == model)))
    await session.execute(delete(PullJobRow).where(PullJobRow.model == model))
    return ids


async def list_jobs(session: AsyncSession) -> list[PullJob]:
    rows = await session.scalars(select(PullJobRow).order_by(PullJobRow.created_at))
    return [_job(row) for row in rows]


async def list_model_jobs(session: AsyncSession, names: list[str]) -> list[PullJob]:
    """The jobs of a model under any of its names (`m` and `m:latest`)."""
    rows = await session.scalars(select(PullJobRow).where(PullJobRow.model.in_(names)))
    return [_job(row) for row in rows]
