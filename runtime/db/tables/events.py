"""Tables for domain events, raw payloads and mappings.

On PostgreSQL `events` is partitioned by range of `created_day` (a partition a day, created on
demand, see `runtime.eventstore.partitions`; migration 0008); on SQLite it is one table.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from runtime.db.base import Base, JSONType, UTCDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY
NidType = BigInteger().with_variant(Integer(), "sqlite")


class EventRow(Base):
    """One domain event; `nid` orders events in the order they were stored."""

    __tablename__ = "events"
    __table_args__ = (
        # an event id is unique within its day: on PostgreSQL the table is partitioned by day
        UniqueConstraint("id", "event_type", "event_source", "created_day"),
        Index("ix_events_type_time", "event_type", "created_at"),
        Index("ix_events_aggregate_time", "aggregate_type", "aggregate_id", "created_at"),
        Index("ix_events_source_time", "event_type", "event_source", "created_at"),
    )

    nid: Mapped[int] = mapped_column(NidType, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    created_day: Mapped[date] = mapped_column(Date, nullable=False)  # UTC day of created_at
    event_type: Mapped[str] = mapped_column(String(255), nullable=False)
    event_source: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    aggregate_id: Mapped[str] = mapped_column(String(255), nullable=False)
    aggregate_type: Mapped[str] = mapped_column(String(255), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    data: Mapped[Any] = mapped_column(JSONType, nullable=False)
    metadata_: Mapped[Any] = mapped_column("metadata", JSONType, nullable=False)


class RawEventRow(Base):
    """A payload as received by /ingest (or /raw-events), before any mapping."""

    __tablename__ = "raw_events"
    __table_args__ = (UniqueConstraint("path", "source_event_id"),)

    nid: Mapped[int] = mapped_column(NidType, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    path: Mapped[str] = mapped_column(String(1024), nullable=False, index=True)
    headers: Mapped[Any] = mapped_column(JSONType, nullable=False)
    payload: Mapped[Any] = mapped_column(JSONType, nullable=False)
    source_event_id: Mapped[str | None] = mapped_column(String(255), nullable=True)


class MappingRow(Base):
    """How raw payloads posted to one path become domain events."""

    __tablename__ = "event_mappings"

    path: Mapped[str] = mapped_column(String(1024), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(255), nullable=False)
    event_source: Mapped[str] = mapped_column(String(255), nullable=False)
    aggregate_type: Mapped[str] = mapped_column(String(255), nullable=False)
    aggregate_id_field: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    aggregate_type_field: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    event_type_field: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    event_source_field: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    event_id_field: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    metadata_mapping: Mapped[Any] = mapped_column(JSONType, nullable=False)
