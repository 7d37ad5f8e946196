"""In-memory implementations of the task engine ports: scripted models and a tools fake."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from runtime.taskengine.chat import FunctionCall, FunctionSpec, Message, ToolCall, ToolSpec
from runtime.taskengine.ports import (
    ChatCall,
    ChatDelta,
    ChatResult,
    EmbedCall,
    HookCall,
    HookResult,
    PromptCall,
    ToolResult,
)


def tool_call(call_id: str, name: str, arguments: dict[str, Any]) -> ToolCall:
    return ToolCall(id=call_id, function=FunctionCall(name=name, arguments=json.dumps(arguments)))


class ScriptedLlm:
    """Answers from scripts, in order; records every call. Streams word by word."""

    def __init__(
        self,
        *,
        prompts: list[str] | None = None,
        replies: list[Message] | None = None,
        vector: list[float] | None = None,
        delay: float = 0.0,
    ) -> None:
        self.prompts = list(prompts or [])
        self.replies = list(replies or [])
        self.vector = vector or [0.1, 0.2]
        self.delay = delay
        self.prompt_calls: list[PromptCall] = []
        self.chat_calls: list[ChatCall] = []
        self.embed_calls: list[EmbedCall] = []
        self.streamed: list[ChatCall] = []
        self.finished = 0

    async def prompt(self, call: PromptCall) -> str:
        self.prompt_calls.append(call)
        await asyncio.sleep(self.delay)
        if not self.prompts:
            raise RuntimeError("no scripted prompt answer left")
        return self.prompts.pop(0)

    async def chat(self, call: ChatCall) -> ChatResult:
        self.chat_calls.append(call)
        await asyncio.sleep(self.delay)
        return self._next_reply()

    def _next_reply(self) -> ChatResult:
        if not self.replies:
            raise RuntimeError("no scripted chat reply left")
        self.finished += 1
        message = self.replies.pop(0)
        return ChatResult(message=message, model="fake-model", input_tokens=0, output_tokens=7)

    async def stream_chat(self, call: ChatCall) -> AsyncIterator[ChatDelta | ChatResult]:
        self.streamed.append(call)
        self.chat_calls.append(call)
        message = self.replies[0] if self.replies else Message(role="assistant")
        words = message.content.split(" ")
        for i, word in enumerate(words):
            await asyncio.sleep(self.delay)
            yield ChatDelta(content=word if i == 0 else " " + word)
        yield self._next_reply()

    async def embed(self, call: EmbedCall) -> list[float]:
        self.embed_calls.append(call)
        return self.vector


class FakeTools:
    """Hooks as dicts of tool name → result; records calls."""

    def __init__(self, hooks: dict[str, dict[str, Any]] | None = None) -> None:
        self.hooks = hooks or {}
        self.tool_calls: list[tuple[str, dict[str, Any]]] = []
        self.hook_calls: list[tuple[HookCall, Any]] = []

    async def tools_for(self, hook_names: list[str]) -> list[ToolSpec]:
        specs = []
        for hook in hook_names:
            if hook not in self.hooks:
                raise LookupError(f"unknown hook: {hook}")
            specs += [
                ToolSpec(function=FunctionSpec(name=f"{hook}.{tool}", description=tool))
                for tool in self.hooks[hook]
            ]
        return specs

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        self.tool_calls.append((name, arguments))
        hook, _, tool = name.partition(".")
        value = self.hooks[hook][tool]
        return ToolResult(value=value, data_type="string" if isinstance(value, str) else "json")

    async def run_hook(self, hook: HookCall, input: Any) -> HookResult:
        self.hook_calls.append((hook, input))
        value = self.hooks[hook.name][hook.tool_name]
        if value is None:
            return HookResult(value=None, data_type="any")
        return HookResult(value=value, data_type="string" if isinstance(value, str) else "json")


class FakeKnowledge:
    """An in-memory knowledge base: returns its sources, records each query."""

    def __init__(self, sources: list[Any] | None = None) -> None:
        self.sources = sources or []
        self.queries: list[Any] = []

    async def search(self, query: Any) -> list[Any]:
        self.queries.append(query)
        return self.sources[: query.topk]
