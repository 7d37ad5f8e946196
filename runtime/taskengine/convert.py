"""Conversions between ChatHistory and the OpenAI chat shapes (SPEC 8.8 step 1, 9.3, 9.4). Pure."""

from __future__ import annotations

from datetime import datetime

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
from runtime.wire import ids
from runtime.wire.openai import Chunk, ChunkChoice, Delta, delta_call, text_of


def completion_id(now: datetime, *, nanos: bool = True) -> str:
    """`chatcmpl-<unix-nanos>-<4 chars>` (handler) or `<unix-seconds>-<4 chars>` (chat route)."""
    if nanos:
        return ids.chain_completion_id(int(now.timestamp() * 1_000_000_000))
    return ids.chain_route_id(int(now.timestamp()))


def history_from_request(request: OpenAIChatRequest, now: datetime) -> ChatHistory:
    """The ChatHistory of an OpenAI request: its messages stamped `now`, `model` = request model."""
    messages = [
        Message(
            role=m.role,
            content=text_of(m),
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


def _chunk(response_id: str, created: int, model: str, choice: ChunkChoice) -> Chunk:
    return Chunk(id=response_id, created=created, model=model, choices=[choice])


def content_chunk(response_id: str, created: int, model: str, content: str) -> Chunk:
    """A chunk carrying a content delta (no `role`, as in the reference)."""
    return _chunk(response_id, created, model, ChunkChoice(index=0, delta=Delta(content=content)))


def tool_calls_chunk(response_id: str, created: int, model: str, calls: list[ToolCall]) -> Chunk:
    """A chunk carrying whole tool calls, indexed."""
    delta = Delta(tool_calls=[delta_call(i, call) for i, call in enumerate(calls)])
    return _chunk(response_id, created, model, ChunkChoice(index=0, delta=delta))


def final_chunk(response_id: str, created: int, model: str, reason: str) -> Chunk:
    """The last chunk: empty delta with `finish_reason` (`stop` or `tool_calls`)."""
    return _chunk(
        response_id, created, model, ChunkChoice(index=0, delta=Delta(), finish_reason=reason)
    )
