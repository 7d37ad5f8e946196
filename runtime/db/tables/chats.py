"""Tables for chats: the chat, its messages (instructions, turns), failed turns, Telegram bots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from runtime.db.base import Base, JSONType, Timestamps, UTCDateTime


class ChatRow(Base, Timestamps):
    """A conversation run by one chain; `turn_owner` holds the lease of the running turn.

    `version` counts writes to the chat's messages, so a replica may reuse the history it
    read (or wrote) last when the version is still the one it knows. `owner` is the identity
    that created the chat; `path` the knowledge folder it is grounded in ("" none).
    """

    __tablename__ = "chats"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(Text, nullable=False, default="")
    model: Mapped[str] = mapped_column(String(512), nullable=False, default="")
    chain_id: Mapped[str] = mapped_column(String(255), nullable=False)
    owner: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    path: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # +1 a write
    turn_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    turn_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ChatMessageRow(Base):
    """One message in a chat's order (`seq`): a system instruction, a question or an answer."""

    __tablename__ = "chat_messages"
    __table_args__ = (UniqueConstraint("chat_id", "seq"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    chat_id: Mapped[str] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    sources: Mapped[Any] = mapped_column(JSONType, nullable=False)
    prompt_tokens: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rating: Mapped[str | None] = mapped_column(String(8), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class ChatFailureRow(Base):
    """A turn that failed: what was asked, why it failed; no message was stored for it."""

    __tablename__ = "chat_failures"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    chat_id: Mapped[str] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), nullable=False, index=True
    )
    message: Mapped[str] = mapped_column(Text, nullable=False)
    error: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class TelegramFrontendRow(Base, Timestamps):
    """A Telegram bot answering with a chain; its poller's lease, offset and last outcome."""

    __tablename__ = "telegram_frontends"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    chain_id: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    bot_token: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    last_error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    last_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    update_offset: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class TelegramChatRow(Base):
    """Which `/chats` chat holds the conversation of one Telegram chat with one bot."""

    __tablename__ = "telegram_chats"

    frontend_id: Mapped[str] = mapped_column(
        ForeignKey("telegram_frontends.id", ondelete="CASCADE"), primary_key=True
    )
    telegram_chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    chat_id: Mapped[str] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), nullable=False, index=True
    )
