"""Translate Gemini's SSE stream (`alt=sse`) into OpenAI chunks, event by event. Pure."""

from __future__ import annotations

from runtime.providers.gemini.chat import Generated, decode, message_of, usage
from runtime.wire.openai import Chunk, delta_call
from runtime.wire.sse import ChunkMaker


class GeminiStreamTranslator:
    """Turns each `data: {...}` line of a Gemini stream into OpenAI chunk events."""

    def __init__(self, model: str) -> None:
        self._maker = ChunkMaker(model)
        self._calls = 0
        self._last = Generated()
        self.finished = False

    def line(self, line: str) -> list[Chunk]:
        if not line.startswith("data:"):
            return []
        generated = decode(line[5:].strip().encode())
        self._last = generated
        text, whole, finish = message_of(generated)
        calls = [delta_call(self._calls + i, call) for i, call in enumerate(whole)]
        self._calls += len(calls)
        out = [self._maker.delta(text, calls)] if text or calls else []
        if finish:
            out += self.end(finish)
        return out

    def end(self, finish: str = "stop") -> list[Chunk]:
        """The closing chunks, once."""
        if self.finished:
            return []
        self.finished = True
        reason = "tool_calls" if self._calls else finish
        return self._maker.finish(reason, usage(self._last))
