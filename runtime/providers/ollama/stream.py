"""Translate Ollama's NDJSON chat stream into OpenAI's SSE chunks, line by line. Pure."""

from __future__ import annotations

import msgspec

from runtime.providers.errors import BadProviderResponseError
from runtime.providers.ollama.chat import OllamaChatChunk, finish_reason, tool_calls, usage
from runtime.providers.sse import ChunkWriter

_decode = msgspec.json.Decoder(OllamaChatChunk).decode


class StreamTranslator:
    """Holds what the chunks of one stream share (id, model, tool call ids)."""

    def __init__(self, model: str, *, include_usage: bool) -> None:
        self._writer = ChunkWriter(model, include_usage=include_usage)
        self._call_ids: list[str] = []

    def line(self, raw: bytes) -> bytes:
        """The SSE bytes for one NDJSON line (the final line also ends the stream)."""
        try:
            chunk = _decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise BadProviderResponseError(f"chat: unreadable stream line: {raw[:200]!r}") from exc
        if chunk.error:
            raise BadProviderResponseError(f"chat: {chunk.error}")
        message = chunk.message
        content = message.content if message is not None else ""
        calls = tool_calls(message, self._call_ids)
        out = self._writer.delta(content, calls) if content or calls else b""
        if chunk.done:
            reason = finish_reason(chunk, called_tools=bool(self._call_ids))
            out += self._writer.finish(reason, usage(chunk))
        return out
