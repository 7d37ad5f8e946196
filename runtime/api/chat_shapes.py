"""The JSON shapes of /chats: chats, their messages and sources, turns, feedback."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from runtime.api.base import ApiStruct, Description, LongName, Name, Path
from runtime.chats import Chat, Failure, History, Message
from runtime.taskengine.ports import Source

Text = Annotated[str, msgspec.Meta(max_length=1024 * 1024)]


GroundingPath = Annotated[
    Path,
    msgspec.Meta(
        description="A knowledge folder (`/docs`; `/` the whole knowledge base) to ground the "
        "chat in: it must exist, every retrieval of the chat's turns stays under it, and "
        "`chainId` then defaults to the shipped `rag` chain."
    ),
]


class ChatCreate(ApiStruct):
    """Body of POST /chats; `chainId` defaults to `chat` (to `rag` with a `path`)."""

    subject: Description = ""
    model: LongName = ""
    chain_id: Name = ""
    path: GroundingPath | None = None


class ChatOut(ApiStruct):
    """A chat without its history.

    `owner` is the identity (user or key id, `admin-token`, `anonymous` without auth) that
    created it; `path` the knowledge folder it is grounded in (null when it is not).
    """

    id: str
    subject: str
    model: str
    chain_id: str
    owner: str
    path: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, chat: Chat) -> ChatOut:
        return cls(**_chat_fields(chat))


def _chat_fields(chat: Chat) -> dict[str, Any]:
    return {
        "id": chat.id,
        "subject": chat.subject,
        "model": chat.model,
        "chain_id": chat.chain_id,
        "owner": chat.owner,
        "path": chat.path or None,
        "created_at": chat.created_at,
        "updated_at": chat.updated_at,
    }


class SourceOut(ApiStruct):
    """A knowledge chunk a turn retrieved; the answer cites it as `[index]`."""

    index: Annotated[int, msgspec.Meta(description="The number the answer cites, from 1")]
    file_id: Annotated[str, msgspec.Meta(description="The file the chunk is from")]
    path: Annotated[str, msgspec.Meta(description="The file's path in the knowledge base")]
    chunk_id: Annotated[str, msgspec.Meta(description="The chunk within the file")]
    text: Annotated[str, msgspec.Meta(description="The chunk's text, as the model read it")]
    score: Annotated[float, msgspec.Meta(description="The search's fused relevance score")]

    @classmethod
    def from_domain(cls, source: Source) -> SourceOut:
        return cls(
            index=source.index,
            file_id=source.file_id,
            path=source.path,
            chunk_id=source.chunk_id,
            text=source.text,
            score=source.score,
        )


class UsageOut(ApiStruct):
    """Tokens of an answer as the backend counted them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class FeedbackOut(ApiStruct):
    """A rating kept with an answer."""

    rating: str
    comment: str
    created_at: datetime


class MessageOut(ApiStruct):
    """One message: `status` is `interrupted` for an answer cut short by the client leaving.

    `sources` are the knowledge chunks the turn's chain retrieved (a grounded chat's answers;
    empty otherwise).
    """

    id: str
    role: str
    content: str
    status: str
    sources: list[SourceOut]
    usage: UsageOut
    created_at: datetime
    feedback: FeedbackOut | None = None

    @classmethod
    def from_domain(cls, message: Message) -> MessageOut:
        usage = message.usage
        feedback = message.feedback
        return cls(
            id=message.id,
            role=message.role.value,
            content=message.content,
            status=message.status.value,
            sources=[SourceOut.from_domain(source) for source in message.sources],
            usage=UsageOut(
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                total_tokens=usage.prompt_tokens + usage.completion_tokens,
            ),
            feedback=None
            if feedback is None
            else FeedbackOut(
                rating=feedback.rating.value,
                comment=feedback.comment,
                created_at=feedback.created_at,
            ),
            created_at=message.created_at,
        )


class FailureOut(ApiStruct):
    """A failed turn: nothing of it was stored but this record."""

    id: str
    message: str
    error: str
    status: int
    created_at: datetime

    @classmethod
    def from_domain(cls, failure: Failure) -> FailureOut:
        return cls(
            id=failure.id,
            message=failure.message,
            error=failure.error,
            status=failure.status,
            created_at=failure.created_at,
        )


class ChatDetailOut(ChatOut):
    """A chat with its messages in order and its latest failed turns, newest first."""

    messages: list[MessageOut]
    failures: list[FailureOut]

    @classmethod
    def from_history(cls, history: History) -> ChatDetailOut:
        return cls(
            **_chat_fields(history.chat),
            messages=[MessageOut.from_domain(m) for m in history.messages],
            failures=[FailureOut.from_domain(f) for f in history.failures],
        )


class TurnIn(ApiStruct):
    """Body of POST /chats/{id}/chat; `stream` (or `Accept: text/event-stream`) streams."""

    message: Text
    stream: bool | None = None


class InstructionIn(ApiStruct):
    """Body of POST /chats/{id}/instruction."""

    instruction: Text


class FeedbackIn(ApiStruct):
    """Body of POST /chats/{id}/messages/{messageId}/feedback."""

    rating: Literal["up", "down"]
    comment: Description = ""


class DoneOut(ApiStruct):
    """The `done` event of a streamed turn."""

    message: MessageOut
    sources: list[SourceOut]
    usage: UsageOut
