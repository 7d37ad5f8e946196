"""Table for the generic leased job queue (index jobs and any other kind a worker leases)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from runtime.db.base import Base, JSONType, Timestamps, UTCDateTime, id_column


class JobRow(Base, Timestamps):
    """One unit of work of a type about one subject; at most one row per (type, subject).

    `status` is `pending` (leasable once `not_before` passed), `leased` (held by `leaser_id`
    until `lease_until`; an expired lease is leasable again) or `failed` (out of attempts).
    A finished job is deleted.
    """

    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("job_type", "subject"),)

    id: Mapped[str] = id_column()
    job_type: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    subject: Mapped[str] = mapped_column(String(255), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, nullable=False)
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    leaser_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
