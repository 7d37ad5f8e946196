"""Translate Ollama's NDJSON chat stream into OpenAI chunks, line by line. Pure."""

from __future__ import annotations

import msgspec

from runtime.providers.errors import BadProviderResponseError
from runtime.providers.ollama.chat import finish_reason, tool_calls, usage
from runtime.wire import ollama as ow
from runtime.wire.openai import Chunk, delta_call
from runtime.wire.sse import ChunkMaker

_decode = msgspec.json.Decoder(ow.ChatChunk).decode


class StreamTranslator:
    """Holds what the chunks of one stream share (id, model, tool calls seen)."""

    def __init__(self, model: str) -> None:
        self._maker = ChunkMaker(model)
        self._calls = 0

    def line(self, raw: bytes) -> list[Chunk]:
        """The chunks for one NDJSON line (the final line also closes the stream)."""
        try:
            chunk = _decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise BadProviderResponseError(f"chat: unreadable stream line: {raw[:200]!r}") from exc
        if chunk.error:
            raise BadProviderResponseError(f"chat: {chunk.error}")
        message = chunk.message
        content = message.content if message is not None else ""
        thinking = (message.thinking or "") if message is not None else ""
        calls = [delta_call(self._calls + i, c) for i, c in enumerate(tool_calls(message))]
        self._calls += len(calls)
        out = [self._maker.delta(content, calls, thinking)] if content or calls or thinking else []
        if chunk.done:
            reason = finish_reason(chunk.done_reason, called_tools=self._calls > 0)
            out += self._maker.finish(reason, usage(chunk))
        return out
