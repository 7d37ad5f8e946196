"""OpenAI chat requests as Ollama /api/chat bodies, and Ollama's answers as OpenAI values. Pure."""

from __future__ import annotations

from typing import Any

import msgspec

from runtime.providers.base import Chat
from runtime.wire import ids
from runtime.wire import ollama as ow
from runtime.wire import openai as oa


def _message(message: oa.ChatMessage, tool_names: dict[str, str]) -> ow.Message:
    calls = []
    for call in message.tool_calls or ():
        tool_names[call.id] = call.function.name
        arguments = msgspec.json.decode(call.function.arguments or "{}")
        calls.append(
            ow.OllamaToolCall(
                function=ow.OllamaFunction(name=call.function.name, arguments=arguments)
            )
        )
    tool_name = tool_names.get(message.tool_call_id or "") if message.role == "tool" else None
    return ow.Message(
        role=message.role,
        content=oa.text_of(message),
        tool_calls=calls or msgspec.UNSET,
        tool_name=tool_name or msgspec.UNSET,
    )


def _format(request: oa.ChatRequest) -> msgspec.Raw | msgspec.UnsetType:
    """`response_format` as Ollama's `format`: a JSON schema when given, else `"json"`."""
    given = request.response_format
    if given is None or given.type == "text":
        return msgspec.UNSET
    schema = (given.json_schema or {}).get("schema")
    return msgspec.Raw(msgspec.json.encode(schema if schema else "json"))


def to_ollama(chat: Chat, *, stream: bool) -> bytes:
    """The Ollama /api/chat body for an OpenAI chat request."""
    request = chat.request
    given: dict[str, Any] = {
        "temperature": request.temperature,
        "top_p": request.top_p,
        "num_predict": request.output_limit,
        "seed": request.seed,
        "stop": request.stops,
    }
    options = {key: value for key, value in given.items() if value is not None}
    names: dict[str, str] = {}
    body = ow.OllamaChatRequest(
        model=chat.model,
        messages=[_message(m, names) for m in request.messages],
        stream=stream,
        tools=request.tools,
        format=_format(request),
        options=options or None,
        think=_think(request.reasoning_effort),
    )
    return msgspec.json.encode(body)


def _think(effort: str | None) -> bool | str | None:
    """OpenAI's `reasoning_effort` as Ollama's `think` (`none` turns thinking off)."""
    if effort is None:
        return None
    return False if effort == "none" else effort


def tool_calls(message: ow.Message | None) -> list[oa.ToolCall]:
    """OpenAI tool calls for an Ollama message, each with a fresh id (Ollama gives none)."""
    if message is None or not message.tool_calls:
        return []
    return [
        oa.ToolCall(
            id=ids.call_id(),
            function=oa.FunctionCall(
                name=call.function.name,
                arguments=msgspec.json.encode(call.function.arguments).decode(),
            ),
        )
        for call in message.tool_calls
    ]


def finish_reason(done_reason: str, *, called_tools: bool) -> str:
    if called_tools:
        return "tool_calls"
    return "length" if done_reason == "length" else "stop"


def usage(chunk: ow.ChatChunk) -> oa.Usage:
    return oa.Usage.of(chunk.prompt_eval_count, chunk.eval_count)


def completion(chunk: ow.ChatChunk, model: str) -> oa.Completion:
    """An OpenAI completion for a whole (non-streamed) Ollama answer."""
    calls = tool_calls(chunk.message)
    message = oa.AnswerMessage(
        role="assistant",
        content=chunk.message.content if chunk.message else "",
        tool_calls=calls or None,
        reasoning_content=(chunk.message.thinking or None) if chunk.message else None,
    )
    reason = finish_reason(chunk.done_reason, called_tools=bool(calls))
    return oa.completion(model, message, reason, usage(chunk))
