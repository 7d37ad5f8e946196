"""Tables for what the operator declared: LLM backends and models."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from runtime.db.base import Base, Timestamps, id_column


class BackendRow(Base, Timestamps):
    """An LLM backend (Ollama, vLLM, OpenAI-compatible or Gemini server)."""

    __tablename__ = "llm_backends"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(512), unique=True, nullable=False)
    base_url: Mapped[str] = mapped_column(String(2048), unique=True, nullable=False)
    type: Mapped[str] = mapped_column(String(32), nullable=False)


class ModelRow(Base, Timestamps):
    """A declared LLM model with its capabilities and context length."""

    __tablename__ = "llm_models"

    id: Mapped[str] = id_column()
    model: Mapped[str] = mapped_column(String(512), unique=True, nullable=False)
    context_length: Mapped[int] = mapped_column(Integer, nullable=False)
    can_chat: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    can_embed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    can_prompt: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    can_stream: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
