"""Server-sent events of OpenAI streams: writing chunks, reading them back, relaying bytes. Pure.

A driver's stream yields typed `Chunk`s (translated from another wire format) or `bytes` (an
OpenAI backend's SSE, relayed untouched). `encode` turns either into SSE bytes for a client;
`ChunkReader` turns either into `Chunk`s for a consumer that needs the values.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import cast

import msgspec

from runtime import errors
from runtime.wire import ids
from runtime.wire.openai import Chunk, ChunkChoice, Delta, DeltaToolCall, StreamError, Usage

DONE = b"data: [DONE]\n\n"
_encode = msgspec.json.Encoder().encode
_chunk = msgspec.json.Decoder(Chunk).decode
_stream_error = msgspec.json.Decoder(StreamError).decode
StreamItem = Chunk | bytes


def event(payload: bytes) -> bytes:
    """One `data:` event."""
    return b"data: " + payload + b"\n\n"


def named(name: str, payload: bytes) -> bytes:
    """One event with a type (`event: <name>`), for clients that dispatch on event names."""
    return b"event: " + name.encode() + b"\ndata: " + payload + b"\n\n"


def encode(item: StreamItem) -> bytes:
    """SSE bytes for a client: relayed bytes as they are, a chunk as one event."""
    return item if isinstance(item, bytes) else b"data: " + _encode(item) + b"\n\n"


async def encoded(items: AsyncIterator[StreamItem]) -> AsyncIterator[bytes]:
    """A driver's stream as SSE bytes for a client.

    `[DONE]` follows translated chunks (relayed bytes carry their own, and a stream that ends
    with an error event has none).
    """
    last: StreamItem = b""
    async with contextlib.aclosing(cast(AsyncGenerator[StreamItem, None], items)) as stream:
        async for item in stream:
            last = item
            yield encode(item)
    if isinstance(last, Chunk):
        yield DONE


def error_event(exc: BaseException) -> bytes:
    """The event that ends a stream that broke off: the HTTP error envelope of `exc`."""
    return event(_encode(errors.envelope_of(exc)))


class ChunkMaker:
    """The chunks of one translated stream: they share an id, a creation time and the model."""

    def __init__(self, model: str) -> None:
        self._id = ids.completion_id()
        self._created = int(time.time())
        self._model = model
        self._first = True

    def _chunk(self, choices: list[ChunkChoice], usage: Usage | None = None) -> Chunk:
        return Chunk(
            id=self._id, created=self._created, model=self._model, choices=choices, usage=usage
        )

    def delta(
        self, content: str, tool_calls: list[DeltaToolCall] | None = None, reasoning: str = ""
    ) -> Chunk:
        """New text, reasoning and tool calls (the first chunk also names the role)."""
        delta = Delta(
            content=content or None,
            tool_calls=tool_calls or None,
            reasoning_content=reasoning or None,
        )
        if self._first:
            delta.role = "assistant"
            self._first = False
        return self._chunk([ChunkChoice(index=0, delta=delta)])

    def finish(self, reason: str, usage: Usage) -> list[Chunk]:
        """The closing chunks: the finish reason, then the usage (`usage_only`).

        The usage chunk is always made, so what the answer cost is known (token limits, metrics);
        the gateway passes it on only to a client that asked (`stream_options.include_usage`).
        """
        finished = self._chunk([ChunkChoice(index=0, delta=Delta(), finish_reason=reason)])
        return [finished, self._chunk([], usage)]


def usage_only(chunk: Chunk) -> bool:
    """Whether the chunk is the one that only reports usage (no choices)."""
    return not chunk.choices and chunk.usage is not None


class _Reported(msgspec.Struct):
    choices: list[msgspec.Raw] = []
    usage: msgspec.Raw = msgspec.Raw(b"null")


_reported = msgspec.json.Decoder(_Reported).decode


# one whole `data:` event, starting where an event starts: what the usage event looks like
_EVENT = re.compile(rb"(?:\A|(?<=\n\n)|(?<=\r\n\r\n))data: ?([^\r\n]*)(?:\n\n|\r\n\r\n)")


def _usage_event(payload: bytes) -> bool:
    try:
        shown = _reported(payload)
    except msgspec.DecodeError:
        return False
    return not shown.choices and bytes(shown.usage) != b"null"


def _boundary(data: bytes) -> int:
    """Where the last whole event of `data` ends (0: none ends in it)."""
    lf, crlf = data.rfind(b"\n\n"), data.rfind(b"\r\n\r\n")
    return max(lf + 2 if lf >= 0 else 0, crlf + 4 if crlf >= 0 else 0)


class UsageFilter:
    """Relayed SSE bytes, fed as they are read, without the event that only reports usage.

    Whole events pass at once; an unfinished one waits for its end (a client can do nothing
    with half an event), so the usage event is found also when a read splits it. `rest()` is
    what waits when the stream ends.
    """

    def __init__(self) -> None:
        self._held = b""

    def feed(self, data: bytes) -> bytes:
        if self._held:
            data = self._held + data
        end = _boundary(data)
        self._held = data[end:]
        whole = data[:end]
        if b"usage" not in whole:
            return whole
        kept, start = [], 0
        for event in _EVENT.finditer(whole):
            if b"usage" in event[1] and _usage_event(event[1]):
                kept.append(whole[start : event.start()])
                start = event.end()
        return whole if start == 0 else b"".join([*kept, whole[start:]])

    def rest(self) -> bytes:
        held, self._held = self._held, b""
        line = held.strip()
        if line.startswith(b"data:") and b"\n" not in line and _usage_event(line[5:]):
            return b""
        return held


class SSEReader:
    """Splits SSE bytes, fed in any pieces, into the payloads of their `data:` lines."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        """The complete events' payloads so far (`[DONE]` is left out)."""
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n")
        buffer = self._buffer + data if self._buffer else data
        if b"\n\n" not in buffer:
            self._buffer = buffer
            return []
        *blocks, self._buffer = buffer.split(b"\n\n")
        payloads: list[bytes] = []
        for block in blocks:
            for line in block.split(b"\n"):
                if line.startswith(b"data:"):
                    payload = line[5:].strip()
                    if payload and payload != b"[DONE]":
                        payloads.append(payload)
        return payloads


class ChunkReader:
    """Chunks of a driver's stream, whether it yields chunks or relayed SSE bytes.

    An error event raises `UpstreamError` with the backend's message.
    """

    def __init__(self) -> None:
        self._sse = SSEReader()

    def feed(self, item: StreamItem) -> list[Chunk]:
        if isinstance(item, Chunk):
            return [item]
        out = []
        for payload in self._sse.feed(item):
            try:
                chunk = _chunk(payload)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                raise errors.UpstreamError(f"unreadable stream chunk: {payload[:200]!r}") from exc
            if not chunk.choices and chunk.usage is None:
                _raise_if_error(payload)
            out.append(chunk)
        return out


def _raise_if_error(payload: bytes) -> None:
    """An error event (a chunk with no choices and no usage may be one) as `UpstreamError`."""
    try:
        event = _stream_error(payload)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return
    if isinstance(event.error, dict):
        raise errors.UpstreamError(str(event.error.get("message", "the stream broke off")))
    if event.error:
        raise errors.UpstreamError(event.error)
