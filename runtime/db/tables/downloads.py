"""Table for the durable queue of model pulls."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from runtime.db.base import Base, Timestamps, UTCDateTime, id_column


class PullJobRow(Base, Timestamps):
    """One model to pull onto one backend; at most one row per (backend, model)."""

    __tablename__ = "pull_jobs"
    __table_args__ = (UniqueConstraint("backend_id", "model"),)

    id: Mapped[str] = id_column()
    backend_id: Mapped[str] = mapped_column(
        ForeignKey("llm_backends.id", ondelete="CASCADE"), nullable=False, index=True
    )
    base_url: Mapped[str] = mapped_column(String(2048), nullable=False)
    model: Mapped[str] = mapped_column(String(512), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    total: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    completed: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
