"""/chats: conversations with history; a turn answers as JSON or as server-sent events.

A streamed turn sends `event: start` (chatId, messageId), `event: delta` (content) as the
chain produces text, then `event: done` (the stored message, its sources and usage) or
`event: error` (the error envelope). A chat is its creator's (`request.user`): the service
answers 404 to anyone else without an access entry on it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery, JSONBody

from runtime import errors
from runtime.api.base import literal, page_request
from runtime.api.chat_shapes import (
    ChatCreate,
    ChatDetailOut,
    ChatOut,
    DoneOut,
    FeedbackIn,
    InstructionIn,
    MessageOut,
    TurnIn,
)
from runtime.api.disconnect import unless_gone
from runtime.api.streaming import OpenedStream
from runtime.chats import ChatService, Rating, Turn, TurnStream, open_stream
from runtime.identity import Principal
from runtime.wire.sse import named

log = logging.getLogger("runtime.api.chats")
_encode = msgspec.json.Encoder().encode


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
