"""Tables of the activity API: finished requests and background operations, for a while."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from runtime.db.base import Base, UTCDateTime

_SerialType = BigInteger().with_variant(Integer(), "sqlite")


class ActivityRequestRow(Base):
    """One answered HTTP request (request ids are the clients' and may repeat: `pk` orders)."""

    __tablename__ = "activity_requests"
    __table_args__ = (
        Index("ix_activity_requests_request_id", "request_id"),
        Index("ix_activity_requests_started_at", "started_at"),
    )

    pk: Mapped[int] = mapped_column(_SerialType, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(128), nullable=False)
    node: Mapped[str] = mapped_column(String(64), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    method: Mapped[str] = mapped_column(String(16), nullable=False)
    route: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[int] = mapped_column(Integer, nullable=False)
    duration_ms: Mapped[float] = mapped_column(Float, nullable=False)
    model: Mapped[str] = mapped_column(Text, nullable=False, default="")
    backend: Mapped[str] = mapped_column(Text, nullable=False, default="")
    key_prefix: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    detail: Mapped[str] = mapped_column(Text, nullable=False)  # JSON text (encoded by us)


class ActivityOperationRow(Base):
    """One piece of background work on one subject (a reconcile cycle, a pull, a delivery)."""

    __tablename__ = "activity_operations"
    __table_args__ = (
        Index("ix_activity_operations_subject", "op", "subject", "pk"),
        Index("ix_activity_operations_started_at", "started_at"),
    )

    pk: Mapped[int] = mapped_column(_SerialType, primary_key=True, autoincrement=True)
    op: Mapped[str] = mapped_column(String(64), nullable=False)
    subject: Mapped[str] = mapped_column(Text, nullable=False)
    node: Mapped[str] = mapped_column(String(64), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    duration_ms: Mapped[float] = mapped_column(Float, nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    detail: Mapped[str] = mapped_column(Text, nullable=False)  # JSON text (encoded by us)
