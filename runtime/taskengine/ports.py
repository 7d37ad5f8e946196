"""The only way the task engine reaches the world: the `Llm` and `Tools` protocols.

Adapters over the model gateway and the hooks service implement these; tests use in-memory
classes. Model and provider lists are the task's candidates in priority order; an empty list
means "use the configured default for this operation" (SPEC 6.3), which the adapter applies.
Adapters raise `runtime.errors.Error` subclasses; the engine turns any exception into a task
failure (subject to retries and `on_failure`) and never swallows `asyncio.CancelledError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal, Protocol

import msgspec

from runtime.taskengine.chat import Message, ToolCall, ToolSpec
from runtime.taskengine.schema import HookCall

ResultType = Literal["json", "string", "any"]


class ChatCall(msgspec.Struct, kw_only=True):
    """One chat completion request of a `model_execution` task.

    `tools` are OpenAI function tools (hook tools are named `<hook>.<tool>`); `providers` are
    backend types in order of preference (the first one is asked for). The router estimates the
    prompt's size itself, to pick a model with enough context.
    `temperature`/`max_tokens` are `None` when the chain does not set them.
    """

    messages: list[Message]
    tools: list[ToolSpec] = msgspec.field(default_factory=list)
    models: list[str] = msgspec.field(default_factory=list)
    providers: list[str] = msgspec.field(default_factory=list)
    temperature: float | None = None
    max_tokens: int | None = None


class ChatResult(msgspec.Struct, kw_only=True):
    """The assistant reply; token counts are the backend's (0 when it reports none)."""

    message: Message
    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0


class ToolCallDelta(msgspec.Struct, kw_only=True):
    """A fragment of a streamed tool call (OpenAI `delta.tool_calls[i]`)."""

    index: int
    id: str = ""
    name: str = ""
    arguments: str = ""


class ChatDelta(msgspec.Struct, kw_only=True):
    """A streamed fragment: content text and/or tool-call fragments."""

    content: str = ""
    tool_calls: list[ToolCallDelta] = msgspec.field(default_factory=list)


class PromptCall(msgspec.Struct, kw_only=True):
    """A single-prompt generation (the prompt-family handlers)."""

    prompt: str
    system_instruction: str = ""
    models: list[str] = msgspec.field(default_factory=list)
    providers: list[str] = msgspec.field(default_factory=list)
    temperature: float | None = None


class EmbedCall(msgspec.Struct, kw_only=True):
    """An embedding request; at most one model and one provider."""

    text: str
    models: list[str] = msgspec.field(default_factory=list)
    providers: list[str] = msgspec.field(default_factory=list)


class KnowledgeQuery(msgspec.Struct, kw_only=True):
    """A retrieval from the knowledge base (`search_knowledge` tasks)."""

    query: str
    topk: int = 5
    path: str = ""
    mode: str = "hybrid"
    filters: list[str] = msgspec.field(default_factory=list)


class Source(msgspec.Struct, kw_only=True):
    """A retrieved chunk, numbered from 1 as the answer cites it (`[n]`)."""

    index: int
    file_id: str
    path: str
    chunk_id: str
    text: str
    score: float


class HookResult(msgspec.Struct, kw_only=True):
    """A hook or tool answer: parsed JSON (`json`), text (`string`) or `None` (`any`)."""

    value: Any
    data_type: ResultType = "any"


ToolResult = HookResult


class Llm(Protocol):
    """Model access, through the router and the provider drivers."""

    async def chat(self, call: ChatCall) -> ChatResult:
        """Complete a chat; the reply message has role `assistant` and may carry tool calls."""
        ...

    def stream_chat(self, call: ChatCall) -> AsyncIterator[ChatDelta | ChatResult]:
        """Stream a chat: `ChatDelta`s as the backend produces them, then exactly one `ChatResult`.

        The final `ChatResult.message.content` must equal the concatenated content deltas.
        Typically implemented as an async generator.
        """
        ...

    async def prompt(self, call: PromptCall) -> str:
        """Generate text for one prompt (the reference's "prompt" capability)."""
        ...

    async def embed(self, call: EmbedCall) -> list[float]:
        """Embed one text."""
        ...


class Knowledge(Protocol):
    """Retrieval from the knowledge base's hybrid search."""

    async def search(self, query: KnowledgeQuery) -> list[Source]:
        """The best chunks for the query, numbered 1..n; bad parameters raise a 422."""
        ...


class Tools(Protocol):
    """Remote hooks: as model tools (`<hook>.<tool>`) and as `hook` tasks."""

    async def tools_for(self, hook_names: list[str]) -> list[ToolSpec]:
        """Every tool of these hooks, each named `<hook>.<tool>`; unknown hook → raise."""
        ...

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        """Run a tool the model called; `name` is `<hook>.<tool>` as offered by `tools_for`."""
        ...

    async def run_hook(self, hook: HookCall, input: Any) -> HookResult:
        """Run `hook.tool_name` of hook `hook.name` with `{"input": input, **hook.args}`."""
        ...


__all__ = [
    "ChatCall",
    "ChatDelta",
    "ChatResult",
    "EmbedCall",
    "HookCall",
    "HookResult",
    "Knowledge",
    "KnowledgeQuery",
    "Llm",
    "Message",
    "PromptCall",
    "Source",
    "ToolCall",
    "ToolCallDelta",
    "ToolResult",
    "ToolSpec",
    "Tools",
]
