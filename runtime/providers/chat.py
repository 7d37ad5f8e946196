"""The OpenAI chat-completions request as the gateway receives it (the lingua franca).

Pure data and its decoding: drivers translate from here to their own wire format.
"""

from __future__ import annotations

from typing import Any

import msgspec

from runtime import decoding, errors


class FunctionCall(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A tool call's function: `arguments` is a JSON text, as OpenAI sends it."""

    name: str
    arguments: str = "{}"


class ToolCall(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A tool call the assistant made."""

    function: FunctionCall
    id: str = ""
    type: str = "function"


class ChatMessage(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One message of the conversation; `content` may be text or a list of parts."""

    role: str
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None


class StreamOptions(msgspec.Struct, kw_only=True):
    """`stream_options` of a streaming request."""

    include_usage: bool = False


class ResponseFormat(msgspec.Struct, kw_only=True):
    """`response_format`: only its type matters to us."""

    type: str = "text"


class ChatRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The parts of an OpenAI chat request the gateway reads; `tools` pass through untouched."""

    model: str
    messages: list[ChatMessage]
    stream: bool = False
    stream_options: StreamOptions | None = None
    tools: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    tool_choice: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    response_format: ResponseFormat | None = None


def estimated_tokens(request: ChatRequest) -> int:
    """Prompt size before any backend counted it: about four characters a token (an estimate)."""
    chars = 0
    for message in request.messages:
        if isinstance(message.content, str):
            chars += len(message.content)
        elif message.content:
            chars += sum(len(str(part.get("text", ""))) for part in message.content)
        for call in message.tool_calls or ():
            chars += len(call.function.arguments)
    return chars // 4 + 1


class Chat(msgspec.Struct, frozen=True, kw_only=True):
    """A chat call for a driver: the parsed request, its original bytes, the served model."""

    request: ChatRequest
    body: bytes
    model: str


class _ToolFunction(msgspec.Struct, kw_only=True):
    """What a tool must hold to be offered to a model (the rest passes through untouched)."""

    name: str
    description: str = ""
    parameters: dict[str, Any] | None = None


class _Tool(msgspec.Struct, kw_only=True):
    type: str = "function"
    function: _ToolFunction


def parse_chat(body: bytes) -> ChatRequest:
    """Decode a chat request; BadRequestError or InvalidInputError names what is wrong."""
    request = decoding.decoder(ChatRequest).decode(body)
    _check_tools(request)
    if not request.model:
        raise errors.InvalidInputError("model is required", param="model")
    if not request.messages:
        raise errors.InvalidInputError("messages must not be empty", param="messages")
    return request


def _check_tools(request: ChatRequest) -> None:
    """Tools of the wrong shape and tool-call arguments that are not JSON are the client's fault."""
    if request.tools is not msgspec.UNSET:
        try:
            decoding.decoder(list[_Tool]).decode(bytes(request.tools))
        except errors.InvalidInputError as exc:
            param = "tools" + (exc.param or "")  # the path of an array item: `[0].function`
            raise errors.BadRequestError(f"invalid tools: {exc.message}", param=param) from None
    for i, message in enumerate(request.messages):
        for j, call in enumerate(message.tool_calls or ()):
            try:
                msgspec.json.decode(call.function.arguments)
            except msgspec.DecodeError:
                raise errors.BadRequestError(
                    "tool call arguments must be a JSON text",
                    param=f"messages[{i}].tool_calls[{j}].function.arguments",
                ) from None
