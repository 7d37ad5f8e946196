"""Jobs as the queue hands them out: frozen Structs, no I/O."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import msgspec


class JobStatus(enum.StrEnum):
    """Where a job stands; a finished job leaves the queue."""

    PENDING = "pending"
    LEASED = "leased"
    FAILED = "failed"


class Job(msgspec.Struct, frozen=True, kw_only=True):
    """One unit of work of `job_type` about `subject` (for index jobs: a file id)."""

    id: str
    job_type: str
    subject: str
    payload: dict[str, Any]
    status: JobStatus
    attempts: int
    max_attempts: int
    error: str
    leaser_id: str | None
    lease_until: datetime | None
    not_before: datetime
    created_at: datetime
    updated_at: datetime

    def held_by(self, leaser_id: str, now: datetime) -> bool:
        """True while `leaser_id` holds an unexpired lease on the job."""
        return (
            self.status is JobStatus.LEASED
            and self.leaser_id == leaser_id
            and self.lease_until is not None
            and self.lease_until >= now
        )


class Lease(msgspec.Struct, frozen=True, kw_only=True):
    """A request for work: who asks, for how long, and which job types it takes."""

    leaser_id: str
    duration: float
    job_types: tuple[str, ...]
