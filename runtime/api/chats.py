"""/chats: conversations with history; a turn answers as JSON or as server-sent events.

A streamed turn sends `event: start` (chatId, messageId), `event: delta` (content) as the
chain produces text, then `event: done` (the stored message, its sources and usage) or
`event: error` (the error envelope). A chat is its creator's (`request.user`): the service
answers 404 to anyone else without an access entry on it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery, JSONBody

from runtime import errors
from runtime.api.base import ApiStruct, Description, LongName, Name, Path, literal, page_request
from runtime.api.disconnect import unless_gone
from runtime.api.streaming import OpenedStream
from runtime.chats import (
    Chat,
    ChatService,
    Failure,
    History,
    Message,
    Rating,
    Turn,
    TurnStream,
    open_stream,
)
from runtime.identity import Principal
from runtime.taskengine.ports import Source
from runtime.wire.sse import named

log = logging.getLogger("runtime.api.chats")
Text = Annotated[str, msgspec.Meta(max_length=1024 * 1024)]
_encode = msgspec.json.Encoder().encode


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


class ChatController(Controller):
    """Chats, their history, turns, instructions and feedback."""

    path = "/chats"

    @post(status_code=201)
    async def create_chat(
        self,
        data: JSONBody[ChatCreate],
        request: Request[Any, Any, Any],
        chats: NamedDependency[ChatService],
    ) -> ChatOut:
        chat = await chats.create(
            request.user, data.subject, data.model.strip(), data.chain_id, data.path
        )
        return ChatOut.from_domain(chat)

    @get()
    async def list_chats(
        self,
        request: Request[Any, Any, Any],
        chats: NamedDependency[ChatService],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> list[ChatOut]:
        found = await chats.list_page(request.user, page_request(limit, cursor))
        return [ChatOut.from_domain(chat) for chat in found]

    @get("/{chat_id:str}")
    async def get_chat(
        self,
        chat_id: FromPath[str],
        request: Request[Any, Any, Any],
        chats: NamedDependency[ChatService],
    ) -> ChatDetailOut:
        return ChatDetailOut.from_history(await chats.history(request.user, chat_id))

    @delete("/{chat_id:str}", status_code=200)
    async def delete_chat(
        self,
        chat_id: FromPath[str],
        request: Request[Any, Any, Any],
        chats: NamedDependency[ChatService],
    ) -> Response[bytes]:
        await chats.delete(request.user, chat_id)
        return literal(f"chat {chat_id} deleted")

    @post("/{chat_id:str}/chat", status_code=200)
    async def send_chat_message(
        self,
        chat_id: FromPath[str],
        data: JSONBody[TurnIn],
        request: Request[Any, Any, Any],
        chats: NamedDependency[ChatService],
    ) -> Response[bytes] | OpenedStream:
        streamed = data.stream
        if streamed is None:
            streamed = "text/event-stream" in request.headers.get("accept", "")
        if streamed:
            return OpenedStream(_opening(chats, request.user, chat_id, data.message))
        turn = await chats.open_turn(request.user, chat_id, data.message)
        message = await unless_gone(request, turn.run())
        return Response(_encode(MessageOut.from_domain(message)), media_type=MediaType.JSON)

    @post("/{chat_id:str}/instruction", status_code=201)
    async def add_chat_instruction(
        self,
        chat_id: FromPath[str],
        data: JSONBody[InstructionIn],
        request: Request[Any, Any, Any],
        chats: NamedDependency[ChatService],
    ) -> MessageOut:
        added = await chats.instruct(request.user, chat_id, data.instruction)
        return MessageOut.from_domain(added)

    @post("/{chat_id:str}/messages/{message_id:str}/feedback", status_code=200)
    async def rate_chat_message(
        self,
        chat_id: FromPath[str],
        message_id: FromPath[str],
        data: JSONBody[FeedbackIn],
        request: Request[Any, Any, Any],
        chats: NamedDependency[ChatService],
    ) -> MessageOut:
        rating = Rating(data.rating)
        rated = await chats.rate(request.user, chat_id, message_id, rating, data.comment)
        return MessageOut.from_domain(rated)


async def _opening(
    chats: ChatService, who: Principal, chat_id: str, text: str
) -> AsyncIterator[bytes]:
    """Open the turn and its stream (errors so far are plain HTTP errors), then the events."""
    turn = await chats.open_turn(who, chat_id, text)
    return _events(turn, await open_stream(turn))


async def _events(turn: Turn, stream: TurnStream) -> AsyncIterator[bytes]:
    try:
        start = {"chatId": turn.chat.id, "messageId": turn.answer_id}
        yield named("start", _encode(start))
        async for text in stream.deltas():
            yield named("delta", _encode({"content": text}))
        try:
            message = MessageOut.from_domain(await stream.result())
        except errors.Error as exc:
            yield named("error", _encode(errors.envelope_of(exc)))
            return
        except Exception as exc:
            log.exception("chat turn failed mid-stream")
            yield named("error", _encode(errors.envelope_of(exc)))
            return
        done = DoneOut(message=message, sources=message.sources, usage=message.usage)
        yield named("done", _encode(done))
    finally:
        await stream.close()  # the client left: the turn stops and keeps what it generated
