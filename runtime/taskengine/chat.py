"""Chat values carried through chains: ChatHistory, OpenAI shapes and tools (SPEC 8.4, 9).

These Structs are both engine values and wire shapes; unknown keys are ignored on decode, as
Go's encoding/json does, so clients may send richer OpenAI payloads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)


class FunctionCall(msgspec.Struct):
    """The function a model asks to call; `arguments` is JSON text."""

    name: str
    arguments: str = ""


class ToolCall(msgspec.Struct):
    """One tool call of an assistant message."""

    id: str
    function: FunctionCall
    type: str = "function"


class Message(msgspec.Struct):
    """One chat message. Every field is always emitted (`id` is `""` when unset)."""

    role: str
    content: str = ""
    id: str = ""
    tool_call_id: str = ""
    call_tools: list[ToolCall] = msgspec.field(default_factory=list, name="callTools")
    timestamp: datetime = ZERO_TIME


class ChatHistory(msgspec.Struct):
    """A conversation plus token accounting (`inputTokens` is counted once, §8.8)."""

    messages: list[Message] = msgspec.field(default_factory=list)
    model: str = ""
    input_tokens: int = msgspec.field(default=0, name="inputTokens")
    output_tokens: int = msgspec.field(default=0, name="outputTokens")


class FunctionSpec(msgspec.Struct, omit_defaults=True):
    """An OpenAI function declaration; `parameters` is a JSON schema object."""

    name: str
    description: str = ""
    parameters: dict[str, Any] | None = None


class ToolSpec(msgspec.Struct, omit_defaults=True):
    """An OpenAI tool (`{"type": "function", "function": {...}}`)."""

    function: FunctionSpec
    type: str = "function"


class OpenAIMessage(msgspec.Struct, omit_defaults=True):
    """A request message; `tool_call_id`/`tool_calls` are kept (the reference dropped them)."""

    role: str
    content: str | None = None
    tool_call_id: str | None = None
    tool_calls: list[ToolCall] | None = None
    name: str | None = None


class OpenAIChatRequest(msgspec.Struct, omit_defaults=True):
    """`POST /openai/{chainID}/v1/chat/completions` body (SPEC 9.1)."""

    model: str = ""
    messages: list[OpenAIMessage] = msgspec.field(default_factory=list)
    tools: list[ToolSpec] | None = None
    tool_choice: Any = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] | None = None
    n: int | None = None
    stream: bool | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    user: str | None = None


class ResponseMessage(msgspec.Struct, omit_defaults=True):
    """The message of a choice; `content` is omitted when the reply carries tool calls."""

    role: str
    content: str | None = None
    tool_calls: list[ToolCall] | None = None


class Choice(msgspec.Struct):
    """One completion choice."""

    index: int
    message: ResponseMessage
    finish_reason: str


class Usage(msgspec.Struct):
    """Token usage of a completion."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class OpenAIChatResponse(msgspec.Struct):
    """A `chat.completion` object (SPEC 9.2); every field is always emitted."""

    id: str
    created: int
    model: str
    choices: list[Choice] = msgspec.field(default_factory=list)
    usage: Usage = msgspec.field(default_factory=Usage)
    object: str = "chat.completion"


class SearchResult(msgspec.Struct):
    """One element of a `search_results` value."""

    id: str = ""
    type: str = ""
    distance: float = 0.0
