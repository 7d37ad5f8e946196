"""GatewayLlm: the task engine's `Llm` port over our router, gateway and drivers.

Chat calls are built as OpenAI request values (the drivers' lingua franca) and go through
`ChatGateway`, so chains get the same routing, failover and health as `/v1/chat/completions`;
answers come back as values (or relayed bytes, decoded once). A task's model list is tried in
order; a model nobody serves right now moves on to the next one.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import TypeVar, cast

import msgspec

from runtime import errors
from runtime.config import DefaultModel
from runtime.execution.gateway import ChatGateway
from runtime.execution.tasks import SYSTEM
from runtime.providers.base import PROMPT_TEMPERATURE
from runtime.routing import Capability, Route
from runtime.taskengine.chat import Message, ToolSpec
from runtime.taskengine.ports import (
    ChatCall,
    ChatDelta,
    ChatResult,
    EmbedCall,
    PromptCall,
    ToolCallDelta,
)
from runtime.wire import openai as oa
from runtime.wire.sse import ChunkReader, StreamItem

T = TypeVar("T")


class ToolNames:
    """Tool names as backends accept them (OpenAI: `[A-Za-z0-9_-]{1,64}`, so no dots).

    Hook tools are `<hook>.<tool>` inside chains; on the wire the dot becomes `__` (any other
    character not allowed becomes `_`), and names in replies are mapped back.
    """

    def __init__(self, tools: list[ToolSpec]) -> None:
        self._wire: dict[str, str] = {}
        self._original: dict[str, str] = {}
        for tool in tools:
            self.wire(tool.function.name)

    def wire(self, name: str) -> str:
        if name in self._wire:
            return self._wire[name]
        safe = _UNSAFE.sub("_", name.replace(".", "__"))[:64] or "tool"
        while safe in self._original:
            safe = safe[:63] + "_"
        self._wire[name], self._original[safe] = safe, name
        return safe

    def original(self, wire: str) -> str:
        return self._original.get(wire, wire)


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def _wire_message(message: Message, names: ToolNames) -> oa.ChatMessage:
    calls = [
        oa.ToolCall(
            id=call.id,
            function=oa.FunctionCall(
                name=names.wire(call.function.name), arguments=call.function.arguments
            ),
        )
        for call in message.call_tools
    ]
    return oa.ChatMessage(
        role=message.role,
        content=message.content,
        tool_call_id=message.tool_call_id or None,
        tool_calls=calls or None,
    )


def _request(call: ChatCall, model: str, names: ToolNames, *, stream: bool) -> oa.ChatRequest:
    tools: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    if call.tools:
        wired = [
            msgspec.structs.replace(
                tool,
                function=msgspec.structs.replace(
                    tool.function, name=names.wire(tool.function.name)
                ),
            )
            for tool in call.tools
        ]
        tools = msgspec.Raw(msgspec.json.encode(wired))
    return oa.ChatRequest(
        model=model,
        messages=[_wire_message(m, names) for m in call.messages],
        stream=stream,
        stream_options=oa.StreamOptions(include_usage=True) if stream else None,  # counted
        tools=tools,
        temperature=call.temperature,
        max_tokens=call.max_tokens,
    )


def _assistant(content: str, calls: list[oa.ToolCall], names: ToolNames) -> Message:
    named = [
        msgspec.structs.replace(
            c, function=msgspec.structs.replace(c.function, name=names.original(c.function.name))
        )
        for c in calls
    ]
    return Message(role="assistant", content=content, call_tools=named)


class GatewayLlm:
    """Chat, prompt and embedding calls of chains, routed like any other request."""

    def __init__(
        self,
        gateway: ChatGateway,
        *,
        chat_model: DefaultModel | None,
        task_model: DefaultModel | None,
        embed_model: DefaultModel | None,
    ) -> None:
        self._gateway = gateway
        self._defaults = {"chat": chat_model, "prompt": task_model, "embed": embed_model}

    def _models(self, wanted: list[str], kind: str) -> list[str]:
        if wanted:
            return wanted
        default = self._defaults[kind]
        if default is None:
            raise errors.BadRequestError(f"no model given and no default {kind} model configured")
        return [default.model]

    async def _routes(self, model: str, need: Capability, providers: list[str]) -> list[Route]:
        return await self._gateway.routes(model, need, provider=_first(providers))

    async def _each_model(self, models: list[str], call: Callable[[str], Awaitable[T]]) -> T:
        """`call` with each model in turn while nobody serves the previous one."""
        for model in models[:-1]:
            try:
                return await call(model)
            except (errors.UnavailableError, errors.ModelNotFoundError):
                continue
        return await call(models[-1])

    async def chat(self, call: ChatCall) -> ChatResult:
        names = ToolNames(call.tools)

        async def one(model: str) -> ChatResult:
            request = _request(call, model, names, stream=False)
            answer = oa.as_completion(
                await self._gateway.complete(request, provider=_first(call.providers))
            )
            if not answer.choices:
                raise errors.UpstreamError("the backend answered without a message")
            message = answer.message
            usage = answer.usage or oa.Usage()
            return ChatResult(
                message=_assistant(message.content or "", message.tool_calls or [], names),
                model=answer.model or model,
                input_tokens=usage.prompt_tokens,
                output_tokens=usage.completion_tokens,
            )

        return await self._each_model(self._models(call.models, "chat"), one)

    async def stream_chat(self, call: ChatCall) -> AsyncIterator[ChatDelta | ChatResult]:
        models = self._models(call.models, "chat")
        names = ToolNames(call.tools)

        async def opened(model: str) -> tuple[str, AsyncIterator[StreamItem]]:
            request = _request(call, model, names, stream=True)
            return model, await self._gateway.stream(request, provider=_first(call.providers))

        model, items = await self._each_model(models, opened)
        assembled = _Assembly(model, names)
        reader = ChunkReader()
        async with contextlib.aclosing(cast(AsyncGenerator[StreamItem, None], items)) as stream:
            async for item in stream:
                delta = _joined([assembled.feed(chunk) for chunk in reader.feed(item)])
                if delta is not None:
                    yield delta
        yield assembled.result()

    async def prompt(self, call: PromptCall) -> str:
        async def one(model: str) -> str:
            temperature = PROMPT_TEMPERATURE if call.temperature is None else call.temperature
            return await self._gateway.prompt(
                model,
                call.system_instruction or SYSTEM,
                call.prompt,
                temperature=temperature,
                provider=_first(call.providers),
            )

        return await self._each_model(self._models(call.models, "prompt"), one)

    async def embed(self, call: EmbedCall) -> list[float]:
        async def one(model: str) -> list[float]:
            embedded = await self._gateway.embed(
                model, [call.text], provider=_first(call.providers)
            )
            return embedded.vectors[0]

        return await self._each_model(self._models(call.models, "embed"), one)


def _joined(deltas: list[ChatDelta | None]) -> ChatDelta | None:
    """The deltas of one read from the backend as one: they arrived together.

    A sink then wakes, and a client's stream gets a chunk, once per read, not once per token.
    """
    found = [delta for delta in deltas if delta is not None]
    if len(found) <= 1:  # nothing to join
        return found[0] if found else None
    return ChatDelta(
        content="".join(delta.content for delta in found),
        tool_calls=[part for delta in found for part in delta.tool_calls],
    )


def _first(providers: list[str]) -> str | None:
    return providers[0] if providers else None


class _Assembly:
    """Turns `chat.completion.chunk`s into deltas for the sink and, at the end, the message."""

    def __init__(self, model: str, names: ToolNames) -> None:
        self._model = model
        self._names = names
        self._content: list[str] = []
        self._calls: dict[int, oa.ToolCall] = {}
        self._usage = oa.Usage()

    def feed(self, chunk: oa.Chunk) -> ChatDelta | None:
        self._model = chunk.model or self._model
        if chunk.usage is not None:
            self._usage = chunk.usage
        if not chunk.choices:
            return None
        delta = chunk.choices[0].delta
        parts = [self._tool_part(part) for part in delta.tool_calls or ()]
        if delta.content:
            self._content.append(delta.content)
        if not delta.content and not parts:
            return None
        return ChatDelta(content=delta.content or "", tool_calls=parts)

    def _tool_part(self, part: oa.DeltaToolCall) -> ToolCallDelta:
        known = self._calls.get(part.index)
        if known is None:
            known = self._calls[part.index] = oa.ToolCall(
                id="", function=oa.FunctionCall(name="", arguments="")
            )
        name, arguments = part.function.name or "", part.function.arguments or ""
        known.id = known.id or part.id or ""
        known.function.name += name
        known.function.arguments += arguments
        return ToolCallDelta(
            index=part.index,
            id=part.id or "",
            name=self._names.original(name) if name else "",
            arguments=arguments,
        )

    def result(self) -> ChatResult:
        calls = [self._calls[i] for i in sorted(self._calls)]
        return ChatResult(
            message=_assistant("".join(self._content), calls, self._names),
            model=self._model,
            input_tokens=self._usage.prompt_tokens,
            output_tokens=self._usage.completion_tokens,
        )
