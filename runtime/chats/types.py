"""Domain data of chats: the chat, its messages, failed turns and the fitting budget."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec

from runtime.taskengine.ports import Source


class Role(StrEnum):
    """Who wrote a message: an instruction (`system`), the person (`user`), the chain."""

    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


class Status(StrEnum):
    """An answer the chain finished, or one cut short because the client left."""

    COMPLETE = "complete"
    INTERRUPTED = "interrupted"


class Rating(StrEnum):
    """Feedback on an answer."""

    UP = "up"
    DOWN = "down"


class Chat(msgspec.Struct, frozen=True, kw_only=True):
    """A conversation: every turn runs `chain_id` on `model` (empty: the chain's default).

    `owner` is the identity that created it; `path` the knowledge folder every retrieval of
    its turns is confined to ("" when the chat is not grounded).
    """

    id: str
    subject: str
    model: str
    chain_id: str
    owner: str
    path: str = ""
    created_at: datetime
    updated_at: datetime


class Usage(msgspec.Struct, frozen=True, kw_only=True):
    """Tokens the backend counted for an answer (zero where it counted none)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0


class Feedback(msgspec.Struct, frozen=True, kw_only=True):
    """A rating of an answer, kept with the message."""

    rating: Rating
    comment: str = ""
    created_at: datetime


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """One message of a chat; `sources` are the chunks its turn retrieved (an answer's only)."""

    id: str
    chat_id: str
    seq: int
    role: Role
    content: str
    status: Status = Status.COMPLETE
    sources: list[Source] = msgspec.field(default_factory=list)
    usage: Usage = Usage()
    feedback: Feedback | None = None
    created_at: datetime


class Failure(msgspec.Struct, frozen=True, kw_only=True):
    """A failed turn: what was asked, the error the caller saw and its HTTP status."""

    id: str
    chat_id: str
    message: str
    error: str
    status: int
    created_at: datetime


class History(msgspec.Struct, frozen=True, kw_only=True):
    """A chat with its messages in order and its latest failed turns (newest first)."""

    chat: Chat
    messages: list[Message]
    failures: list[Failure]
