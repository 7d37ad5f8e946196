"""Tables for affinity groups and their memberships (backends and models)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from runtime.db.base import Base, Timestamps, UTCDateTime, id_column


class GroupRow(Base, Timestamps):
    """An affinity group binding backends and models for a purpose."""

    __tablename__ = "llm_affinity_groups"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(512), unique=True, nullable=False)
    purpose_type: Mapped[str] = mapped_column(String(512), nullable=False, index=True)


class GroupBackendRow(Base):
    """Membership of a backend in a group."""

    __tablename__ = "llm_group_backends"

    group_id: Mapped[str] = mapped_column(
        ForeignKey("llm_affinity_groups.id", ondelete="CASCADE"), primary_key=True
    )
    backend_id: Mapped[str] = mapped_column(
        ForeignKey("llm_backends.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class GroupModelRow(Base):
    """Membership of a model in a group."""

    __tablename__ = "llm_group_models"

    group_id: Mapped[str] = mapped_column(
        ForeignKey("llm_affinity_groups.id", ondelete="CASCADE"), primary_key=True
    )
    model_id: Mapped[str] = mapped_column(
        ForeignKey("llm_models.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
