"""GatewayLlm: the task engine's `Llm` port over our router, gateway and drivers.

Chat calls become OpenAI requests (the drivers' lingua franca) and go through `ChatGateway`, so
chains get the same routing, failover and health as `/v1/chat/completions`. A task's model
list is tried in order; a model nobody serves right now moves on to the next one.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar, cast

import msgspec

from runtime import errors
from runtime.config import DefaultModel
from runtime.execution.gateway import ChatGateway
from runtime.execution.tasks import SYSTEM
from runtime.providers.base import PROMPT_TEMPERATURE
from runtime.routing import Capability, Resolver, Route, RouteRequest
from runtime.taskengine.chat import FunctionCall, Message, ToolCall, ToolSpec
from runtime.taskengine.ports import (
    ChatCall,
    ChatDelta,
    ChatResult,
    EmbedCall,
    PromptCall,
    ToolCallDelta,
)

T = TypeVar("T")


class _Function(msgspec.Struct):
    name: str = ""
    arguments: str = ""


class _ToolCall(msgspec.Struct):
    id: str = ""
    function: _Function = msgspec.field(default_factory=_Function)
    index: int = 0


class _Message(msgspec.Struct):
    content: str | None = None
    tool_calls: list[_ToolCall] | None = None


class _Choice(msgspec.Struct):
    message: _Message | None = None
    delta: _Message | None = None


class _Usage(msgspec.Struct):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class _Reply(msgspec.Struct):
    """A `chat.completion` or one `chat.completion.chunk`, as far as chains need it."""

    choices: list[_Choice] = msgspec.field(default_factory=list)
    model: str = ""
    usage: _Usage | None = None
    error: dict[str, Any] | None = None


_reply = msgspec.json.Decoder(_Reply)


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


def _wire_message(message: Message, names: ToolNames) -> dict[str, Any]:
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_call_id:
        wire["tool_call_id"] = message.tool_call_id
    if message.call_tools:
        wire["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {
                    "name": names.wire(call.function.name),
                    "arguments": call.function.arguments,
                },
            }
            for call in message.call_tools
        ]
    return wire


def _request(call: ChatCall, model: str, names: ToolNames, *, stream: bool) -> bytes:
    body: dict[str, Any] = {
        "model": model,
        "messages": [_wire_message(m, names) for m in call.messages],
        "stream": stream,
    }
    if call.tools:
        body["tools"] = [
            msgspec.to_builtins(
                msgspec.structs.replace(
                    tool,
                    function=msgspec.structs.replace(
                        tool.function, name=names.wire(tool.function.name)
                    ),
                )
            )
            for tool in call.tools
        ]
    if call.temperature is not None:
        body["temperature"] = call.temperature
    if call.max_tokens is not None:
        body["max_tokens"] = call.max_tokens
    return msgspec.json.encode(body)


def _assistant(message: _Message, names: ToolNames) -> Message:
    calls = [
        ToolCall(
            id=c.id,
            function=FunctionCall(
                name=names.original(c.function.name), arguments=c.function.arguments
            ),
        )
        for c in message.tool_calls or ()
    ]
    return Message(role="assistant", content=message.content or "", call_tools=calls)


class GatewayLlm:
    """Chat, prompt and embedding calls of chains, routed like any other request."""

    def __init__(
        self,
        gateway: ChatGateway,
        resolver: Resolver,
        *,
        chat_model: DefaultModel | None,
        task_model: DefaultModel | None,
        embed_model: DefaultModel | None,
    ) -> None:
        self._gateway = gateway
        self._resolver = resolver
        self._defaults = {"chat": chat_model, "prompt": task_model, "embed": embed_model}

    def _models(self, wanted: list[str], kind: str) -> list[str]:
        if wanted:
            return wanted
        default = self._defaults[kind]
        if default is None:
            raise errors.BadRequestError(f"no model given and no default {kind} model configured")
        return [default.model]

    async def _routes(self, model: str, need: Capability, providers: list[str]) -> list[Route]:
        provider = providers[0] if providers else None
        return await self._resolver.routes(
            RouteRequest(model=model, needs=frozenset({need}), provider=provider)
        )

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
            body = _request(call, model, names, stream=False)
            reply = _reply.decode(await self._gateway.complete(self._gateway.parse(body), body))
            if not reply.choices or reply.choices[0].message is None:
                raise errors.UpstreamError("the backend answered without a message")
            usage = reply.usage or _Usage()
            return ChatResult(
                message=_assistant(reply.choices[0].message, names),
                model=reply.model or model,
                input_tokens=usage.prompt_tokens,
                output_tokens=usage.completion_tokens,
            )

        return await self._each_model(self._models(call.models, "chat"), one)

    async def stream_chat(self, call: ChatCall) -> AsyncIterator[ChatDelta | ChatResult]:
        models = self._models(call.models, "chat")
        names = ToolNames(call.tools)

        async def opened(model: str) -> tuple[str, AsyncIterator[bytes]]:
            body = _request(call, model, names, stream=True)
            return model, await self._gateway.stream(self._gateway.parse(body), body)

        model, chunks = await self._each_model(models, opened)
        assembled = _Assembly(model, names)
        async with contextlib.aclosing(cast(AsyncGenerator[bytes, None], chunks)) as closing:
            async for chunk in closing:
                for delta in assembled.feed(chunk):
                    yield delta
        yield assembled.result()

    async def prompt(self, call: PromptCall) -> str:
        async def one(model: str) -> str:
            routes = await self._routes(model, Capability.PROMPT, call.providers)
            system = call.system_instruction or SYSTEM
            temperature = PROMPT_TEMPERATURE if call.temperature is None else call.temperature
            return await self._gateway.first_success(
                routes,
                lambda driver, route: driver.prompt(route.model, system, call.prompt, temperature),
            )

        return await self._each_model(self._models(call.models, "prompt"), one)

    async def embed(self, call: EmbedCall) -> list[float]:
        async def one(model: str) -> list[float]:
            routes = await self._routes(model, Capability.EMBED, call.providers)
            return await self._gateway.first_success(
                routes, lambda driver, route: driver.embed(route.model, call.text)
            )

        return await self._each_model(self._models(call.models, "embed"), one)


class _Assembly:
    """Turns SSE bytes of `chat.completion.chunk`s into deltas and the final message."""

    def __init__(self, model: str, names: ToolNames) -> None:
        self._model = model
        self._names = names
        self._buffer = b""
        self._content: list[str] = []
        self._calls: dict[int, _ToolCall] = {}
        self._usage = _Usage()

    def feed(self, chunk: bytes) -> list[ChatDelta]:
        self._buffer += chunk.replace(b"\r\n", b"\n")
        deltas: list[ChatDelta] = []
        while b"\n\n" in self._buffer:
            event, self._buffer = self._buffer.split(b"\n\n", 1)
            for line in event.splitlines():
                data = line[5:].strip() if line.startswith(b"data:") else b""
                if data and data != b"[DONE]":
                    delta = self._data(_reply.decode(data))
                    if delta is not None:
                        deltas.append(delta)
        return deltas

    def _data(self, reply: _Reply) -> ChatDelta | None:
        if reply.error is not None:
            raise errors.UpstreamError(str(reply.error.get("message", "the stream broke off")))
        self._model = reply.model or self._model
        if reply.usage is not None:
            self._usage = reply.usage
        if not reply.choices or reply.choices[0].delta is None:
            return None
        delta = reply.choices[0].delta
        parts = [self._tool_part(part) for part in delta.tool_calls or ()]
        if delta.content:
            self._content.append(delta.content)
        if not delta.content and not parts:
            return None
        return ChatDelta(content=delta.content or "", tool_calls=parts)

    def _tool_part(self, part: _ToolCall) -> ToolCallDelta:
        known = self._calls.setdefault(part.index, _ToolCall(index=part.index))
        known.id = known.id or part.id
        known.function.name += part.function.name
        known.function.arguments += part.function.arguments
        return ToolCallDelta(
            index=part.index,
            id=part.id,
            name=self._names.original(part.function.name) if part.function.name else "",
            arguments=part.function.arguments,
        )

    def result(self) -> ChatResult:
        calls = [self._calls[i] for i in sorted(self._calls)]
        content = "".join(self._content)
        message = _assistant(_Message(content=content, tool_calls=calls or None), self._names)
        return ChatResult(
            message=message,
            model=self._model,
            input_tokens=self._usage.prompt_tokens,
            output_tokens=self._usage.completion_tokens,
        )
