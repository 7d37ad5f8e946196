"""Tables for JavaScript functions, the triggers that run them, dispatch jobs and run records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from runtime.db.base import Base, JSONType, Timestamps, UTCDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY
_SerialType = BigInteger().with_variant(Integer(), "sqlite")


class FunctionRow(Base, Timestamps):
    """A user script, addressed by its unique name."""

    __tablename__ = "functions"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    script_type: Mapped[str] = mapped_column(String(32), nullable=False)
    script: Mapped[str] = mapped_column(Text, nullable=False)


class TriggerRow(Base, Timestamps):
    """Runs `function_name` for every event of type `listen_for_type`."""

    __tablename__ = "event_triggers"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    listen_for_type: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    trigger_type: Mapped[str] = mapped_column(String(32), nullable=False)
    function_name: Mapped[str] = mapped_column(
        ForeignKey("functions.name", ondelete="CASCADE"), nullable=False, index=True
    )


class FunctionJobRow(Base):
    """One event to deliver to one trigger; written in the event's own transaction."""

    __tablename__ = "function_jobs"
    __table_args__ = (
        UniqueConstraint("event_nid", "trigger_name"),
        Index("ix_function_jobs_due", "not_before"),
    )

    id: Mapped[int] = mapped_column(_SerialType, primary_key=True, autoincrement=True)
    trigger_name: Mapped[str] = mapped_column(
        ForeignKey("event_triggers.name", ondelete="CASCADE"), nullable=False, index=True
    )
    function_name: Mapped[str] = mapped_column(String(255), nullable=False)
    event_nid: Mapped[int] = mapped_column(BigInteger, nullable=False)
    event: Mapped[Any] = mapped_column(JSONType, nullable=False)
    depth: Mapped[int] = mapped_column(Integer, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class FunctionRunRow(Base):
    """One execution of a function: outcome, duration, error and captured console output."""

    __tablename__ = "function_runs"
    __table_args__ = (Index("ix_function_runs_function_time", "function_name", "started_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    function_name: Mapped[str] = mapped_column(
        ForeignKey("functions.name", ondelete="CASCADE"), nullable=False
    )
    trigger_name: Mapped[str] = mapped_column(String(255), nullable=False)
    event_id: Mapped[str] = mapped_column(String(255), nullable=False)
    event_type: Mapped[str] = mapped_column(String(255), nullable=False)
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    duration_ms: Mapped[float] = mapped_column(Float, nullable=False)
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    logs: Mapped[Any] = mapped_column(JSONType, nullable=False)
    result: Mapped[Any] = mapped_column(JSONType, nullable=True)
