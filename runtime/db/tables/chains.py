"""Table for stored task-chain definitions (the chain's JSON, addressed by its id)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from runtime.db.base import Base, JSONType, Timestamps


class TaskChainRow(Base, Timestamps):
    """One chain definition; `definition` is the JSON the API echoes."""

    __tablename__ = "task_chains"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    definition: Mapped[Any] = mapped_column(JSONType, nullable=False)
