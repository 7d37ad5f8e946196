"""The OpenAI chat-completions shapes as the OpenAPI document shows them (documentation only).

The routes read the raw bytes and the gateway decodes them itself; these Structs give the
document typed request and answer bodies. Fields we pass through untouched stay open.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec


class FunctionCallDoc(msgspec.Struct, kw_only=True):
    """A tool call's function; `arguments` is a JSON text."""

    name: str
    arguments: str


class ToolCallDoc(msgspec.Struct, kw_only=True):
    """A tool call the assistant made."""

    id: str
    type: Literal["function"] = "function"
    function: FunctionCallDoc


class ChatMessageDoc(msgspec.Struct, kw_only=True):
    """One message; `content` is a text or a list of content parts."""

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None
    tool_calls: list[ToolCallDoc] | None = None
    tool_call_id: str | None = None


class StreamOptionsDoc(msgspec.Struct, kw_only=True):
    """Options of a streamed answer."""

    include_usage: bool = False


class ChatCompletionRequest(msgspec.Struct, kw_only=True):
    """An OpenAI chat request; with `stream: true` the answer is `text/event-stream` chunks."""

    model: str
    messages: list[ChatMessageDoc]
    stream: bool = False
    stream_options: StreamOptionsDoc | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    response_format: dict[str, Any] | None = None


class ChoiceDoc(msgspec.Struct, kw_only=True):
    """One answer."""

    index: int
    message: dict[str, Any]
    finish_reason: str | None = None


class UsageDoc(msgspec.Struct, kw_only=True):
    """Token counts."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatCompletion(msgspec.Struct, kw_only=True):
    """A whole `chat.completion` (the non-streamed answer)."""

    id: str
    object: str = "chat.completion"
    created: int
    model: str
    choices: list[ChoiceDoc]
    usage: UsageDoc | None = None
