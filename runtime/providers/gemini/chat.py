"""Gemini's generateContent wire format and its translation to and from OpenAI's. Pure."""

from __future__ import annotations

from typing import Any

import msgspec

from runtime.providers.base import Chat
from runtime.providers.errors import BadProviderResponseError
from runtime.wire import ids
from runtime.wire import openai as oa


class Part(msgspec.Struct, kw_only=True, omit_defaults=True, rename="camel"):
    """One part of a Gemini message: text, a function call or a function's answer."""

    text: str | None = None
    function_call: dict[str, Any] | None = None
    function_response: dict[str, Any] | None = None


class Content(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A Gemini message."""

    parts: list[Part] = msgspec.field(default_factory=list)
    role: str | None = None


class Candidate(msgspec.Struct, kw_only=True, rename="camel"):
    """One answer candidate."""

    content: Content | None = None
    finish_reason: str = ""


class Usage(msgspec.Struct, kw_only=True, rename="camel"):
    """Token counts Gemini reports."""

    prompt_token_count: int = 0
    candidates_token_count: int = 0


class Generated(msgspec.Struct, kw_only=True, rename="camel"):
    """A generateContent answer (or one SSE event of a streamed one)."""

    candidates: list[Candidate] | None = None
    usage_metadata: Usage | None = None


def _content(message: oa.ChatMessage, names: dict[str, str]) -> Content:
    if message.role == "tool":
        name = names.get(message.tool_call_id or "", "tool")
        return Content(
            role="user",
            parts=[
                Part(function_response={"name": name, "response": {"content": oa.text_of(message)}})
            ],
        )
    parts = [Part(text=oa.text_of(message))] if oa.text_of(message) else []
    for call in message.tool_calls or ():
        names[call.id] = call.function.name
        args = msgspec.json.decode(call.function.arguments or "{}")
        parts.append(Part(function_call={"name": call.function.name, "args": args}))
    return Content(role="model" if message.role == "assistant" else "user", parts=parts)


def to_gemini(chat: Chat) -> bytes:
    """The generateContent body for an OpenAI chat request."""
    request = chat.request
    names: dict[str, str] = {}
    system = [m for m in request.messages if m.role in ("system", "developer")]
    body: dict[str, Any] = {
        "contents": [_content(m, names) for m in request.messages if m not in system],
    }
    if system:
        body["systemInstruction"] = {"parts": [{"text": "\n".join(oa.text_of(m) for m in system)}]}
    config = {
        "temperature": request.temperature,
        "topP": request.top_p,
        "maxOutputTokens": request.output_limit,
        "stopSequences": request.stops,
        "seed": request.seed,
        "responseMimeType": _mime(request),
    }
    config = {key: value for key, value in config.items() if value is not None}
    if config:
        body["generationConfig"] = config
    if not isinstance(request.tools, msgspec.UnsetType):
        tools = msgspec.json.decode(request.tools)
        declarations = [tool["function"] for tool in tools or () if tool.get("function")]
        if declarations:
            body["tools"] = [{"functionDeclarations": declarations}]
    return msgspec.json.encode(body)


def _mime(request: oa.ChatRequest) -> str | None:
    """`response_format` asking for JSON, as Gemini's `responseMimeType`.

    A JSON schema is not passed on: Gemini reads a subset of JSON Schema.
    """
    given = request.response_format
    return "application/json" if given is not None and given.type != "text" else None


def decode(raw: bytes) -> Generated:
    try:
        return msgspec.json.decode(raw, type=Generated)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BadProviderResponseError(f"chat: unreadable answer: {raw[:200]!r}") from exc


def message_of(generated: Generated) -> tuple[str, list[oa.ToolCall], str]:
    """Text, OpenAI tool calls and the finish reason of one Gemini answer."""
    if not generated.candidates:
        return "", [], ""
    candidate = generated.candidates[0]
    text, calls = "", []
    for part in candidate.content.parts if candidate.content else ():
        text += part.text or ""
        if part.function_call:
            arguments = msgspec.json.encode(part.function_call.get("args", {})).decode()
            name = part.function_call.get("name", "")
            calls.append(
                oa.ToolCall(
                    id=ids.call_id(), function=oa.FunctionCall(name=name, arguments=arguments)
                )
            )
    finish = {"STOP": "stop", "MAX_TOKENS": "length"}.get(candidate.finish_reason, "")
    if candidate.finish_reason and not finish:
        finish = "content_filter"
    return text, calls, finish


def usage(generated: Generated) -> oa.Usage:
    counts = generated.usage_metadata or Usage()
    return oa.Usage.of(counts.prompt_token_count, counts.candidates_token_count)


def completion(generated: Generated, model: str) -> oa.Completion:
    """An OpenAI completion for a whole Gemini answer."""
    text, calls, finish = message_of(generated)
    message = oa.AnswerMessage(role="assistant", content=text, tool_calls=calls or None)
    reason = "tool_calls" if calls else (finish or "stop")
    return oa.completion(model, message, reason, usage(generated))
