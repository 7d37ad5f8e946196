"""Table for domain events (one table, indexed by type and by aggregate, newest first)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from runtime.db.base import Base, JSONType, UTCDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY
NidType = BigInteger().with_variant(Integer(), "sqlite")


class EventRow(Base):
    """One domain event; `nid` orders events in the order they were stored."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("id", "event_type", "event_source"),
        Index("ix_events_type_time", "event_type", "created_at"),
        Index("ix_events_aggregate_time", "aggregate_type", "aggregate_id", "created_at"),
        Index("ix_events_source_time", "event_type", "event_source", "created_at"),
    )

    nid: Mapped[int] = mapped_column(NidType, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    event_type: Mapped[str] = mapped_column(String(255), nullable=False)
    event_source: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    aggregate_id: Mapped[str] = mapped_column(String(255), nullable=False)
    aggregate_type: Mapped[str] = mapped_column(String(255), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    data: Mapped[Any] = mapped_column(JSONType, nullable=False)
    metadata_: Mapped[Any] = mapped_column("metadata", JSONType, nullable=False)
