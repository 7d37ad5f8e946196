"""Table for cloud provider credentials (OpenAI, Gemini)."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from runtime.db.base import Base, Timestamps


class ProviderConfigRow(Base, Timestamps):
    """The API key of one cloud provider, encrypted when a secret key is configured."""

    __tablename__ = "provider_configs"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    api_key: Mapped[str] = mapped_column(Text, nullable=False)
    # the key is only sent to a backend at this URL (the one it was configured for)
    base_url: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
