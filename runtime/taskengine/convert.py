"""Conversions between ChatHistory and the OpenAI chat shapes (SPEC 8.8 step 1, 9.3, 9.4). Pure."""

from __future__ import annotations

import secrets
import string
from datetime import datetime
from typing import Any

import msgspec

from runtime.taskengine.chat import (
    ChatHistory,
    Choice,
    Message,
    OpenAIChatRequest,
    OpenAIChatResponse,
    ResponseMessage,
    ToolCall,
    Usage,
)

_ALPHABET = string.ascii_lowercase + string.digits


def random_suffix(length: int = 4) -> str:
    """A short random suffix for response ids."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def completion_id(now: datetime, *, nanos: bool = True) -> str:
    """`chatcmpl-<unix-nanos>-<4 chars>` (handler) or `<unix-seconds>-<4 chars>` (chat route)."""
    if nanos:
        return f"chatcmpl-{int(now.timestamp() * 1_000_000_000)}-{random_suffix()}"
    return f"{int(now.timestamp())}-{random_suffix()}"


def history_from_request(request: OpenAIChatRequest, now: datetime) -> ChatHistory:
    """The ChatHistory of an OpenAI request: its messages stamped `now`, `model` = request model."""
    messages = [
        Message(
            role=m.role,
            content=m.content or "",
            tool_call_id=m.tool_call_id or "",
            call_tools=list(m.tool_calls or []),
            timestamp=now,
        )
        for m in request.messages
    ]
    return ChatHistory(messages=messages, model=request.model)


def history_to_response(history: ChatHistory, response_id: str, created: int) -> OpenAIChatResponse:
    """One choice from the last message (`tool_calls` when it calls tools); usage from counts."""
    usage = Usage(
        prompt_tokens=history.input_tokens,
        completion_tokens=history.output_tokens,
        total_tokens=history.input_tokens + history.output_tokens,
    )
    choices: list[Choice] = []
    if history.messages:
        last = history.messages[-1]
        if last.call_tools:
            message = ResponseMessage(role=last.role, tool_calls=list(last.call_tools))
            choices.append(Choice(index=0, message=message, finish_reason="tool_calls"))
        else:
            message = ResponseMessage(role=last.role, content=last.content)
            choices.append(Choice(index=0, message=message, finish_reason="stop"))
    return OpenAIChatResponse(
        id=response_id, created=created, model=history.model, choices=choices, usage=usage
    )


class ChunkDelta(msgspec.Struct, omit_defaults=True):
    """The `delta` of a stream chunk; no `role`, as in the reference."""

    content: str | None = None
    tool_calls: list[dict[str, Any]] | None = None


class ChunkChoice(msgspec.Struct, omit_defaults=True):
    """A chunk choice; `finish_reason` is omitted (not null) until the last chunk."""

    index: int
    delta: ChunkDelta
    finish_reason: str | None = None


class ChatCompletionChunk(msgspec.Struct):
    """One `chat.completion.chunk` SSE payload (SPEC 9.4)."""

    id: str
    created: int
    model: str
    choices: list[ChunkChoice]
    object: str = "chat.completion.chunk"


def content_chunk(response_id: str, created: int, model: str, content: str) -> ChatCompletionChunk:
    """A chunk carrying a content delta."""
    choice = ChunkChoice(index=0, delta=ChunkDelta(content=content))
    return ChatCompletionChunk(id=response_id, created=created, model=model, choices=[choice])


def tool_calls_chunk(
    response_id: str, created: int, model: str, calls: list[ToolCall]
) -> ChatCompletionChunk:
    """A chunk carrying whole tool calls, indexed."""
    deltas = [{"index": i, **msgspec.to_builtins(call)} for i, call in enumerate(calls)]
    choice = ChunkChoice(index=0, delta=ChunkDelta(tool_calls=deltas))
    return ChatCompletionChunk(id=response_id, created=created, model=model, choices=[choice])


def final_chunk(response_id: str, created: int, model: str, reason: str) -> ChatCompletionChunk:
    """The last chunk: empty delta with `finish_reason` (`stop` or `tool_calls`)."""
    choice = ChunkChoice(index=0, delta=ChunkDelta(), finish_reason=reason)
    return ChatCompletionChunk(id=response_id, created=created, model=model, choices=[choice])
