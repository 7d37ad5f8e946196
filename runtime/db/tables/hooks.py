"""Table for remote hooks: tool servers whose OpenAPI operations task chains can call."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from runtime.db.base import Base, JSONType, Timestamps, id_column


class RemoteHookRow(Base, Timestamps):
    """A remote hook; `headers` values may be credentials; `properties` is `{name, value, in}`."""

    __tablename__ = "remote_hooks"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    endpoint_url: Mapped[str] = mapped_column(Text, nullable=False)
    timeout_ms: Mapped[int] = mapped_column(Integer, nullable=False, default=5000)
    headers: Mapped[dict[str, str]] = mapped_column(JSONType, nullable=False)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
