"""Ollama client requests (`/api/chat`, `/api/generate`) as OpenAI chat requests. Pure.

The gateway routes OpenAI `ChatRequest`s to any backend kind; this module is how an Ollama
client's request becomes one: `options` become sampling fields, `format` a `response_format`,
`think` a `reasoning_effort`, tool calls get ids (Ollama has none) that the tool answers point
back to. What cannot travel (images, fill-in-the-middle) is refused with a 400 naming it.
"""

from __future__ import annotations

from typing import Any

import msgspec

from runtime import decoding, errors
from runtime.wire import ids
from runtime.wire import ollama as ow
from runtime.wire import openai as oa

THINK_LEVELS = frozenset({"low", "medium", "high"})
NO_IMAGES = (
    "images are not supported by this gateway: not every backend kind it routes to can take "
    "them; send text"
)


class Options(msgspec.Struct, kw_only=True):
    """The `options` we honour; Ollama's others (num_ctx, top_k, ...) are ignored."""

    temperature: float | None = None
    top_p: float | None = None
    num_predict: int | None = None
    stop: str | list[str] | None = None
    seed: int | None = None


def chat_request(request: ow.OllamaChatRequest) -> oa.ChatRequest:
    """The OpenAI chat request for an Ollama /api/chat request (checked as /v1 checks it)."""
    chat = oa.ChatRequest(
        model=request.model,
        messages=_messages(request.messages),
        tools=request.tools,
        **_settings(
            stream=request.stream,
            options=request.options,
            answer_format=request.format,
            think=request.think,
        ),
    )
    oa.check_chat(chat)
    return chat


def generate_request(request: ow.GenerateRequest) -> oa.ChatRequest:
    """The OpenAI chat request for an Ollama /api/generate request: system and user prompt."""
    if request.images:
        raise errors.BadRequestError(NO_IMAGES, param="images")
    if request.suffix:
        raise errors.BadRequestError(
            "suffix (fill-in-the-middle) is not supported: /api/generate is answered as a chat",
            param="suffix",
        )
    messages = [oa.ChatMessage(role="user", content=request.prompt)]
    if request.system:
        messages.insert(0, oa.ChatMessage(role="system", content=request.system))
    chat = oa.ChatRequest(
        model=request.model,
        messages=messages,
        **_settings(
            stream=request.stream,
            options=request.options,
            answer_format=request.format,
            think=request.think,
        ),
    )
    oa.check_chat(chat)
    return chat


def _settings(
    *,
    stream: bool,
    options: dict[str, Any] | None,
    answer_format: msgspec.Raw | msgspec.UnsetType,
    think: bool | str | None,
) -> dict[str, Any]:
    """The ChatRequest fields that Ollama spells as options, format, think and stream."""
    given = _options(options)
    limit = given.num_predict if given.num_predict and given.num_predict > 0 else None
    stops = [given.stop] if isinstance(given.stop, str) else given.stop
    return {
        "stream": stream,
        # the closing line's eval_count needs the backend's usage
        "stream_options": oa.StreamOptions(include_usage=True) if stream else None,
        "temperature": given.temperature,
        "top_p": given.top_p,
        "max_tokens": limit,  # -1 (no limit) and -2 (fill the context) are no limit to OpenAI
        "stop": stops or None,
        "seed": given.seed,
        "response_format": _format(answer_format),
        "reasoning_effort": _effort(think),
    }


def _options(options: dict[str, Any] | None) -> Options:
    try:
        return decoding.decoder(Options).convert(options or {})
    except errors.InvalidInputError as exc:
        param = f"options.{exc.param}" if exc.param else "options"
        raise errors.InvalidInputError(f"invalid options: {exc.message}", param=param) from None


def _format(answer_format: msgspec.Raw | msgspec.UnsetType) -> oa.ResponseFormat | None:
    """Ollama's `format`: `"json"` is OpenAI's json_object, a JSON schema its json_schema."""
    if answer_format is msgspec.UNSET:
        return None
    value = msgspec.json.decode(answer_format)
    if value is None or value == "":
        return None
    if value == "json":
        return oa.ResponseFormat(type="json_object")
    if isinstance(value, dict):
        return oa.ResponseFormat(
            type="json_schema", json_schema={"name": "response", "schema": value}
        )
    raise errors.BadRequestError('format must be "json" or a JSON schema object', param="format")


def _effort(think: bool | str | None) -> str | None:  # noqa: FBT001 - a value, not a flag
    """`think` as `reasoning_effort`: on is OpenAI's default level, off is `none`."""
    if think is None:
        return None
    if isinstance(think, bool):
        return "medium" if think else "none"
    if think in THINK_LEVELS:
        return think
    raise errors.BadRequestError(
        'think must be true, false, "low", "medium" or "high"', param="think"
    )


def _messages(messages: list[ow.Message]) -> list[oa.ChatMessage]:
    """OpenAI messages; a tool answer points to the call it answers (by `tool_name`, or next)."""
    out = []
    unanswered: list[oa.ToolCall] = []
    for i, message in enumerate(messages):
        if message.images:
            raise errors.BadRequestError(NO_IMAGES, param=f"messages[{i}].images")
        if message.role == "tool":
            call = _answered(unanswered, message.tool_name or "")
            out.append(
                oa.ChatMessage(
                    role="tool", content=message.content, tool_call_id=call.id if call else None
                )
            )
            continue
        calls = [_call(call) for call in message.tool_calls or ()]
        if calls:
            unanswered = list(calls)
        content = message.content or (None if calls else "")
        out.append(oa.ChatMessage(role=message.role, content=content, tool_calls=calls or None))
    return out


def _call(call: ow.OllamaToolCall) -> oa.ToolCall:
    arguments = msgspec.json.encode(call.function.arguments).decode()
    return oa.ToolCall(
        id=ids.call_id(), function=oa.FunctionCall(name=call.function.name, arguments=arguments)
    )


def _answered(unanswered: list[oa.ToolCall], name: str) -> oa.ToolCall | None:
    """The call a tool message answers, taken off the list: the first of its name, or the next."""
    for n, call in enumerate(unanswered):
        if not name or call.function.name == name:
            return unanswered.pop(n)
    return None
