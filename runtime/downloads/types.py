"""Domain data for the model download queue."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec


class JobStatus(StrEnum):
    """Where a pull job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    FAILED = "failed"
    CANCELLED = "cancelled"


class PullJob(msgspec.Struct, frozen=True, kw_only=True):
    """One model to pull onto one backend."""

    id: str
    backend_id: str
    base_url: str
    model: str
    status: JobStatus
    attempts: int
    error: str
    total: int
    completed: int
    not_before: datetime
    lease_owner: str | None
    lease_until: datetime | None
    created_at: datetime
    updated_at: datetime


class Progress(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A progress report of a running pull, as sent to `/queue/inProgress` subscribers."""

    status: str
    model: str
    base_url: str
    digest: str = ""
    total: int = 0
    completed: int = 0
