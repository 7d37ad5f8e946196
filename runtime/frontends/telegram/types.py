"""Domain data of Telegram frontends: the bot's configuration, its poller's state, updates."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec


class FrontendStatus(StrEnum):
    """What the frontend's poller last managed: not yet polled, polling, or failing."""

    PENDING = "pending"
    POLLING = "polling"
    ERROR = "error"


class FrontendSpec(msgspec.Struct, frozen=True, kw_only=True):
    """What an operator gives: the bot's token, the chain that answers, who it belongs to."""

    bot_token: str
    chain_id: str
    description: str = ""
    user_id: str = ""


class Frontend(msgspec.Struct, frozen=True, kw_only=True):
    """A stored frontend; `bot_token` is the plaintext (open) or the sealed form (store)."""

    id: str
    user_id: str
    chain_id: str
    description: str
    bot_token: str
    status: FrontendStatus
    last_error: str
    last_poll_at: datetime | None
    update_offset: int
    created_at: datetime
    updated_at: datetime


class Update(msgspec.Struct, frozen=True, kw_only=True):
    """A text message someone sent the bot (other updates are confirmed and skipped)."""

    update_id: int
    chat_id: int
    text: str
