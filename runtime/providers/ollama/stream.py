"""Translate Ollama's NDJSON chat stream into OpenAI's SSE chunks, line by line. Pure."""

from __future__ import annotations

import time
from typing import Any

import msgspec

from runtime.providers.errors import BadProviderResponseError
from runtime.providers.ollama.chat import (
    OllamaChatChunk,
    finish_reason,
    new_id,
    tool_calls,
    usage,
)

_decode = msgspec.json.Decoder(OllamaChatChunk).decode
_encode = msgspec.json.encode
DONE = b"data: [DONE]\n\n"


class StreamTranslator:
    """Holds what the chunks of one stream share (id, model, tool call ids)."""

    def __init__(self, model: str, *, include_usage: bool) -> None:
        self._id = new_id()
        self._created = int(time.time())
        self._model = model
        self._include_usage = include_usage
        self._call_ids: list[str] = []
        self._first = True

    def _event(self, delta: dict[str, Any], finish: str | None, **extra: Any) -> bytes:
        chunk = {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return b"data: " + _encode(chunk) + b"\n\n"

    def line(self, raw: bytes) -> bytes:
        """The SSE bytes for one NDJSON line (the final line also ends the stream)."""
        try:
            chunk = _decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise BadProviderResponseError(f"chat: unreadable stream line: {raw[:200]!r}") from exc
        if chunk.error:
            raise BadProviderResponseError(f"chat: {chunk.error}")
        out = b""
        delta: dict[str, Any] = {}
        if self._first:
            delta["role"] = "assistant"
            self._first = False
        message = chunk.message
        if message is not None and message.content:
            delta["content"] = message.content
        calls = tool_calls(message, self._call_ids)
        if calls:
            delta["tool_calls"] = calls
        if delta:
            out += self._event(delta, None)
        if chunk.done:
            out += self._event({}, finish_reason(chunk, called_tools=bool(self._call_ids)))
            if self._include_usage:
                out += self._event({}, None, usage=usage(chunk)).replace(
                    b'"choices":[{"index":0,"delta":{},"finish_reason":null}]', b'"choices":[]'
                )
            out += DONE
        return out
