"""OpenAI chat shapes: the request as clients send it, the answer, and the stream's chunks. Pure.

The gateway's lingua franca: every driver translates from `ChatRequest` and to `Completion` or
`Chunk`s, the task engine builds and reads the same Structs, the API encodes them once.
Decoding is lenient about what backends send (`null`s, missing ids); encoding omits what is unset.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec

from runtime import decoding, errors
from runtime.wire import ids, tokens


class FunctionCall(msgspec.Struct, kw_only=True):
    """A tool call's function: `arguments` is a JSON text, as OpenAI sends it."""

    name: str
    arguments: str = "{}"


class ToolCall(msgspec.Struct, kw_only=True):
    """A tool call the assistant made (every field is always written)."""

    id: str = ""
    function: FunctionCall
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
    """`response_format`: `text`, `json_object` or `json_schema` (with its schema)."""

    type: str = "text"
    json_schema: dict[str, Any] | msgspec.UnsetType | None = msgspec.UNSET  # left out if unset


class ChatRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The parts of an OpenAI chat request we read; `tools` and `tool_choice` pass through."""

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
    reasoning_effort: str | None = None

    @property
    def output_limit(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens

    @property
    def stops(self) -> list[str] | None:
        return [self.stop] if isinstance(self.stop, str) else self.stop

    @property
    def wants_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)


def text_of(message: ChatMessage) -> str:
    """The text of a message: its content, or the text parts of a list content, joined."""
    if isinstance(message.content, list):
        return "".join(str(part.get("text", "")) for part in message.content)
    return message.content or ""


def estimated_tokens(request: ChatRequest) -> int:
    """Prompt size before any backend counted it (`tokens.estimate`)."""
    chars = 0
    for message in request.messages:
        chars += len(text_of(message))
        for call in message.tool_calls or ():
            chars += len(call.function.arguments)
    return tokens.estimate(chars) + 1


class Usage(msgspec.Struct, kw_only=True):
    """Token counts of an answer."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    @classmethod
    def of(cls, prompt: int, completion: int) -> Usage:
        total = prompt + completion
        return cls(prompt_tokens=prompt, completion_tokens=completion, total_tokens=total)


class AnswerMessage(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The assistant message of a choice; `content` is left out when it carries only tool calls."""

    role: str
    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    reasoning_content: str | None = None


class Choice(msgspec.Struct, kw_only=True):
    """One choice of a chat completion."""

    index: int = 0
    message: AnswerMessage
    finish_reason: str | None = "stop"


class Completion(msgspec.Struct, kw_only=True):
    """A whole `chat.completion`."""

    id: str = ""
    object: str = "chat.completion"
    created: int = 0
    model: str = ""
    choices: list[Choice] = msgspec.field(default_factory=list)
    usage: Usage | None = None

    @property
    def message(self) -> AnswerMessage:
        """The first choice's message (an empty one when the backend sent no choice)."""
        return self.choices[0].message if self.choices else AnswerMessage(role="assistant")


_completion = msgspec.json.Decoder(Completion).decode


def as_completion(answer: Completion | bytes) -> Completion:
    """A driver's answer as a value: relayed JSON is decoded (`UpstreamError` if unreadable)."""
    if isinstance(answer, Completion):
        return answer
    try:
        return _completion(answer)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise errors.UpstreamError(f"unreadable answer: {answer[:200]!r}") from exc


def as_json(answer: Completion | bytes) -> bytes:
    """A driver's answer as JSON for a client: relayed bytes as they are, a value encoded."""
    return answer if isinstance(answer, bytes) else msgspec.json.encode(answer)


def completion(
    model: str, message: AnswerMessage, finish_reason: str, usage: Usage, *, answer_id: str = ""
) -> Completion:
    """A completion with one choice, a fresh id and the current time."""
    return Completion(
        id=answer_id or ids.completion_id(),
        created=int(time.time()),
        model=model,
        choices=[Choice(message=message, finish_reason=finish_reason)],
        usage=usage,
    )


class DeltaFunction(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A fragment of a streamed tool call's function (the name comes once, arguments in parts)."""

    name: str | None = None
    arguments: str | None = None


class DeltaToolCall(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A fragment of a streamed tool call, by index."""

    index: int
    id: str | None = None
    type: str | None = None
    function: DeltaFunction = msgspec.field(default_factory=DeltaFunction)


def delta_call(index: int, call: ToolCall) -> DeltaToolCall:
    """A whole tool call as the one fragment of a stream that carries it."""
    function = DeltaFunction(name=call.function.name, arguments=call.function.arguments)
    return DeltaToolCall(index=index, id=call.id, type=call.type, function=function)


class Delta(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What one chunk adds to the answer."""

    role: str | None = None
    content: str | None = None
    tool_calls: list[DeltaToolCall] | None = None
    reasoning_content: str | None = None


class ChunkChoice(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A chunk's choice; `finish_reason` is left out until the last chunk."""

    index: int
    delta: Delta = msgspec.field(default_factory=Delta)
    finish_reason: str | None = None


class Chunk(msgspec.Struct, kw_only=True):
    """One `chat.completion.chunk` (`usage` only on the last one, when the client asked)."""

    id: str = ""
    object: str = "chat.completion.chunk"
    created: int = 0
    model: str = ""
    choices: list[ChunkChoice] = msgspec.field(default_factory=list)
    usage: Usage | None = None


class StreamError(msgspec.Struct, kw_only=True):
    """The event that ends a broken stream: `{"error": {...}}` (ours and OpenAI's)."""

    error: dict[str, Any] | str | None = None


class FunctionSpec(msgspec.Struct, omit_defaults=True):
    """An OpenAI function declaration; `parameters` is a JSON schema object."""

    name: str
    description: str = ""
    parameters: dict[str, Any] | None = None


class ToolSpec(msgspec.Struct, omit_defaults=True):
    """An OpenAI tool (`{"type": "function", "function": {...}}`).

    What a tool must hold to be offered to a model (the rest of a client's tool passes through).
    """

    function: FunctionSpec
    type: str = "function"


def parse_chat(body: bytes) -> ChatRequest:
    """Decode a chat request; BadRequestError or InvalidInputError names what is wrong."""
    request = decoding.decoder(ChatRequest).decode(body)
    check_chat(request)
    return request


def check_chat(request: ChatRequest) -> None:
    """A chat request's model, messages, tools and tool-call arguments, checked."""
    _check_tools(request)
    if not request.model:
        raise errors.InvalidInputError("model is required", param="model")
    if not request.messages:
        raise errors.InvalidInputError("messages must not be empty", param="messages")


def _check_tools(request: ChatRequest) -> None:
    """Tools of the wrong shape and tool-call arguments that are not JSON are the client's fault."""
    if request.tools is not msgspec.UNSET:
        try:
            decoding.decoder(list[ToolSpec]).decode(bytes(request.tools))
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
