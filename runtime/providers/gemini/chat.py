"""Gemini's generateContent wire format and its translation to and from OpenAI's. Pure."""

from __future__ import annotations

import time
import uuid
from typing import Any

import msgspec

from runtime.providers.chat import Chat, ChatMessage
from runtime.providers.errors import BadProviderResponseError


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


def _text(message: ChatMessage) -> str:
    if isinstance(message.content, list):
        return "".join(str(part.get("text", "")) for part in message.content)
    return message.content or ""


def _content(message: ChatMessage, names: dict[str, str]) -> Content:
    if message.role == "tool":
        name = names.get(message.tool_call_id or "", "tool")
        return Content(
            role="user",
            parts=[Part(function_response={"name": name, "response": {"content": _text(message)}})],
        )
    parts = [Part(text=_text(message))] if _text(message) else []
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
        body["systemInstruction"] = {"parts": [{"text": "\n".join(_text(m) for m in system)}]}
    config = {
        "temperature": request.temperature,
        "topP": request.top_p,
        "maxOutputTokens": request.max_completion_tokens or request.max_tokens,
        "stopSequences": [request.stop] if isinstance(request.stop, str) else request.stop,
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


def decode(raw: bytes) -> Generated:
    try:
        return msgspec.json.decode(raw, type=Generated)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BadProviderResponseError(f"chat: unreadable answer: {raw[:200]!r}") from exc


def message_of(generated: Generated, call_ids: list[str]) -> tuple[str, list[dict[str, Any]], str]:
    """Text, OpenAI tool calls (with index) and the finish reason of one Gemini answer."""
    if not generated.candidates:
        return "", [], ""
    candidate = generated.candidates[0]
    text, calls = "", []
    for part in candidate.content.parts if candidate.content else ():
        text += part.text or ""
        if part.function_call:
            call_ids.append(f"call_{uuid.uuid4().hex[:24]}")
            calls.append(
                {
                    "index": len(call_ids) - 1,
                    "id": call_ids[-1],
                    "type": "function",
                    "function": {
                        "name": part.function_call.get("name", ""),
                        "arguments": msgspec.json.encode(
                            part.function_call.get("args", {})
                        ).decode(),
                    },
                }
            )
    finish = {"STOP": "stop", "MAX_TOKENS": "length"}.get(candidate.finish_reason, "")
    if candidate.finish_reason and not finish:
        finish = "content_filter"
    return text, calls, finish


def usage(generated: Generated) -> dict[str, int]:
    counts = generated.usage_metadata or Usage()
    return {
        "prompt_tokens": counts.prompt_token_count,
        "completion_tokens": counts.candidates_token_count,
        "total_tokens": counts.prompt_token_count + counts.candidates_token_count,
    }


def completion(generated: Generated, model: str) -> bytes:
    """An OpenAI `chat.completion` for a whole Gemini answer."""
    text, calls, finish = message_of(generated, [])
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if calls:
        message["tool_calls"] = [{k: v for k, v in c.items() if k != "index"} for c in calls]
    return msgspec.json.encode(
        {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if calls else (finish or "stop"),
                }
            ],
            "usage": usage(generated),
        }
    )
