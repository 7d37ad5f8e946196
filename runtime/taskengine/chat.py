"""Chat values carried through chains: ChatHistory, the chain request and tools (SPEC 8.4, 9).

These Structs are both engine values and wire shapes; unknown keys are ignored on decode, as
Go's encoding/json does, so clients may send richer OpenAI payloads. The OpenAI message, tool
call and answer shapes are the gateway's own (`runtime.wire.openai`), re-exported here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from runtime.wire.openai import AnswerMessage as ResponseMessage
from runtime.wire.openai import ChatMessage as OpenAIMessage
from runtime.wire.openai import (
    Choice,
    FunctionCall,
    FunctionSpec,
    StreamOptions,
    ToolCall,
    ToolSpec,
    Usage,
)
from runtime.wire.openai import Completion as OpenAIChatResponse

__all__ = [
    "ChatHistory",
    "Choice",
    "FunctionCall",
    "FunctionSpec",
    "Message",
    "OpenAIChatRequest",
    "OpenAIChatResponse",
    "OpenAIMessage",
    "ResponseMessage",
    "SearchResult",
    "ToolCall",
    "ToolSpec",
    "Usage",
]

ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)


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
    stream_options: StreamOptions | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    user: str | None = None

    @property
    def wants_usage(self) -> bool:
        """A stream's last chunk before `[DONE]` carries the usage (OpenAI's `include_usage`)."""
        return bool(self.stream_options and self.stream_options.include_usage)


class SearchResult(msgspec.Struct):
    """One element of a `search_results` value."""

    id: str = ""
    type: str = ""
    distance: float = 0.0
