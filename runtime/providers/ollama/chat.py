"""Ollama's /api/chat wire format and its translation to and from OpenAI's. Pure."""

from __future__ import annotations

import time
import uuid
from typing import Any

import msgspec

from runtime.providers.chat import Chat, ChatMessage


class OllamaFunction(msgspec.Struct, kw_only=True):
    """A tool call's function as Ollama writes it: arguments as an object."""

    name: str
    arguments: dict[str, Any] = msgspec.field(default_factory=dict)
    index: int | None = None


class OllamaToolCall(msgspec.Struct, kw_only=True):
    """A tool call in an Ollama message."""

    function: OllamaFunction


class OllamaMessage(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A message in Ollama's format."""

    role: str
    content: str = ""
    images: list[str] | None = None
    tool_calls: list[OllamaToolCall] | None = None
    tool_name: str | None = None
    thinking: str | None = None


class OllamaChatRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    """POST /api/chat."""

    model: str
    messages: list[OllamaMessage]
    stream: bool
    tools: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    format: str | None = None
    options: dict[str, Any] | None = None


class OllamaChatChunk(msgspec.Struct, kw_only=True):
    """One /api/chat answer (the whole answer, or one NDJSON line of a stream)."""

    model: str = ""
    message: OllamaMessage | None = None
    done: bool = False
    done_reason: str = ""
    prompt_eval_count: int = 0
    eval_count: int = 0
    error: str = ""


def _text(message: ChatMessage) -> str:
    if isinstance(message.content, list):
        return "".join(str(part.get("text", "")) for part in message.content)
    return message.content or ""


def _message(message: ChatMessage, tool_names: dict[str, str]) -> OllamaMessage:
    calls = None
    if message.tool_calls:
        calls = []
        for call in message.tool_calls:
            tool_names[call.id] = call.function.name
            arguments = msgspec.json.decode(call.function.arguments or "{}")
            calls.append(
                OllamaToolCall(
                    function=OllamaFunction(name=call.function.name, arguments=arguments)
                )
            )
    tool_name = tool_names.get(message.tool_call_id or "") if message.role == "tool" else None
    return OllamaMessage(
        role=message.role, content=_text(message), tool_calls=calls, tool_name=tool_name
    )


def to_ollama(chat: Chat, *, stream: bool) -> bytes:
    """The Ollama /api/chat body for an OpenAI chat request."""
    request = chat.request
    given: dict[str, Any] = {
        "temperature": request.temperature,
        "top_p": request.top_p,
        "num_predict": request.max_completion_tokens or request.max_tokens,
        "seed": request.seed,
        "stop": [request.stop] if isinstance(request.stop, str) else request.stop,
    }
    options = {key: value for key, value in given.items() if value is not None}
    names: dict[str, str] = {}
    body = OllamaChatRequest(
        model=chat.model,
        messages=[_message(m, names) for m in request.messages],
        stream=stream,
        tools=request.tools,
        format="json"
        if request.response_format and request.response_format.type != "text"
        else None,
        options=options or None,
    )
    return msgspec.json.encode(body)


def tool_calls(message: OllamaMessage | None, call_ids: list[str]) -> list[dict[str, Any]]:
    """OpenAI tool calls (with `index`) for an Ollama message; ids are made up once per call."""
    if message is None or not message.tool_calls:
        return []
    out = []
    for call in message.tool_calls:
        index = len(call_ids)
        call_ids.append(f"call_{uuid.uuid4().hex[:24]}")
        out.append(
            {
                "index": index,
                "id": call_ids[index],
                "type": "function",
                "function": {
                    "name": call.function.name,
                    "arguments": msgspec.json.encode(call.function.arguments).decode(),
                },
            }
        )
    return out


def finish_reason(chunk: OllamaChatChunk, *, called_tools: bool) -> str:
    if called_tools:
        return "tool_calls"
    return "length" if chunk.done_reason == "length" else "stop"


def usage(chunk: OllamaChatChunk) -> dict[str, int]:
    return {
        "prompt_tokens": chunk.prompt_eval_count,
        "completion_tokens": chunk.eval_count,
        "total_tokens": chunk.prompt_eval_count + chunk.eval_count,
    }


def completion(chunk: OllamaChatChunk, model: str) -> bytes:
    """An OpenAI `chat.completion` for a whole (non-streamed) Ollama answer."""
    ids: list[str] = []
    calls = tool_calls(chunk.message, ids)
    message: dict[str, Any] = {
        "role": "assistant",
        "content": chunk.message.content if chunk.message else "",
    }
    if calls:
        message["tool_calls"] = [{k: v for k, v in c.items() if k != "index"} for c in calls]
    body = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": finish_reason(chunk, called_tools=bool(calls)),
            }
        ],
        "usage": usage(chunk),
    }
    return msgspec.json.encode(body)
