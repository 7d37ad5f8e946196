"""What a fake LLM backend answers next: text in chunks, tool calls, faults and latency."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ChatScript:
    """Scripted answers shared by the fake Ollama and OpenAI servers.

    With nothing scripted the answer echoes the last user message (`echo: <text>`).
    """

    chunks: list[str] | None = None
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    delay: float = 0.0  # between streamed chunks
    latency: float = 0.0  # before the first byte
    fail_status: int = 0  # answer this status instead (for `fail_times` requests)
    fail_times: int = 0
    die_after: int | None = None  # close the stream after this many chunks
    together: bool = False  # write a whole stream at once (a fast backend, a busy reader)
    prompt_tokens: int = 7
    sent: int = 0  # streamed chunks actually written, across requests
    abandoned: int = 0  # streams stopped because the client went away

    def reply(self, text: str) -> None:
        self.chunks = [text]

    def stream(self, chunks: list[str], delay: float = 0.0) -> None:
        self.chunks, self.delay = chunks, delay

    def tool_call(self, name: str, arguments: dict[str, Any]) -> None:
        self.tool_calls.append((name, arguments))

    def fail(self, status: int = 500, times: int = 1) -> None:
        self.fail_status, self.fail_times = status, times

    def take_failure(self) -> int:
        """The status to fail this request with, or 0 to answer normally."""
        if self.fail_times <= 0:
            return 0
        self.fail_times -= 1
        return self.fail_status

    def calls_for(self, messages: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
        """The scripted tool calls, unless the model is being handed tool results."""
        if messages and messages[-1].get("role") == "tool":
            return []
        return self.tool_calls

    def answer(self, messages: list[dict[str, Any]]) -> list[str]:
        if self.chunks is not None:
            return self.chunks
        if messages and messages[-1].get("role") == "tool":
            text = f"tool said: {messages[-1].get('content', '')}"
            return [text[i : i + 4] for i in range(0, len(text), 4)]
        last = next((m for m in reversed(messages) if m.get("role") == "user"), {})
        text = f"echo: {last.get('content', '')}"
        return [text[i : i + 4] for i in range(0, len(text), 4)] or [""]


class Disconnect:
    """Watches an ASGI connection for the client going away while the fake streams."""

    def __init__(self, receive: Any) -> None:
        self._task = asyncio.ensure_future(receive())

    @property
    def gone(self) -> bool:
        return self._task.done()

    def close(self) -> None:
        self._task.cancel()
