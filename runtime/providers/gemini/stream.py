"""Translate Gemini's SSE stream (`alt=sse`) into OpenAI's SSE chunks, event by event. Pure."""

from __future__ import annotations

from runtime.providers.gemini.chat import Generated, decode, message_of, usage
from runtime.providers.sse import ChunkWriter


class GeminiStreamTranslator:
    """Turns each `data: {...}` line of a Gemini stream into OpenAI chunk events."""

    def __init__(self, model: str, *, include_usage: bool) -> None:
        self._writer = ChunkWriter(model, include_usage=include_usage)
        self._call_ids: list[str] = []
        self._last = Generated()
        self.finished = False

    def line(self, line: str) -> bytes:
        if not line.startswith("data:"):
            return b""
        generated = decode(line[5:].strip().encode())
        self._last = generated
        text, calls, finish = message_of(generated, self._call_ids)
        out = self._writer.delta(text, calls) if text or calls else b""
        if finish:
            out += self.end(finish)
        return out

    def end(self, finish: str = "stop") -> bytes:
        """The closing events, once."""
        if self.finished:
            return b""
        self.finished = True
        reason = "tool_calls" if self._call_ids else finish
        return self._writer.finish(reason, usage(self._last))
