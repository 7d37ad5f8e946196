"""OpenAI `chat.completion.chunk` SSE events, written for drivers that translate a stream. Pure."""

from __future__ import annotations

import time
import uuid
from typing import Any

import msgspec

_encode = msgspec.json.encode
DONE = b"data: [DONE]\n\n"


class ChunkWriter:
    """The events of one stream: they share an id, a creation time and the model name."""

    def __init__(self, model: str, *, include_usage: bool) -> None:
        self._base = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
        }
        self._include_usage = include_usage
        self._first = True

    def delta(self, content: str, tool_calls: list[dict[str, Any]]) -> bytes:
        """The event for new text and tool calls (the first one also names the role)."""
        delta: dict[str, Any] = {}
        if self._first:
            delta["role"] = "assistant"
            self._first = False
        if content:
            delta["content"] = content
        if tool_calls:
            delta["tool_calls"] = tool_calls
        return self._event({"choices": [{"index": 0, "delta": delta, "finish_reason": None}]})

    def finish(self, reason: str, usage: dict[str, int]) -> bytes:
        """The closing events: the finish reason, usage when asked for, and `[DONE]`."""
        out = self._event({"choices": [{"index": 0, "delta": {}, "finish_reason": reason}]})
        if self._include_usage:
            out += self._event({"choices": [], "usage": usage})
        return out + DONE

    def _event(self, fields: dict[str, Any]) -> bytes:
        return b"data: " + _encode(self._base | fields) + b"\n\n"
