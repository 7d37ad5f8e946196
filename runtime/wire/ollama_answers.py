"""OpenAI answers (a `Completion`, or a stream of `Chunk`s) as Ollama answers and NDJSON lines.

Pure apart from reading the clock: durations are measured here, in nanoseconds as Ollama
reports them, from when the request arrived. Counts are the backend's usage, or the one token
estimate when it sent none. A tool call's arguments become an object, as Ollama writes them.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime
from typing import Any, cast

import msgspec

from runtime import errors
from runtime.wire import ollama as ow
from runtime.wire import openai as oa
from runtime.wire import tokens
from runtime.wire.sse import ChunkReader, StreamItem

_encode = msgspec.json.Encoder().encode
Answer = ow.ChatChunk | ow.Generated


def now() -> str:
    """The current time as Ollama's `created_at` (RFC 3339, UTC)."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def line(answer: Answer | ow.Error) -> bytes:
    """One NDJSON line."""
    return _encode(answer) + b"\n"


def error_line(message: str) -> bytes:
    """The line that ends a stream that broke off (`ResponseError` in Ollama's clients)."""
    return line(ow.Error(error=message))


class Timing:
    """The clock of one request: started when it arrived, first token, done."""

    def __init__(self) -> None:
        self._start = time.perf_counter_ns()
        self._first = 0

    def answering(self) -> None:
        """The first text arrived (prompt evaluation ends here)."""
        if not self._first:
            self._first = time.perf_counter_ns()

    def elapsed(self) -> int:
        return time.perf_counter_ns() - self._start

    def close(self, answer: Answer, usage: oa.Usage) -> None:
        """Writes the closing line's durations and counts into `answer`."""
        end = time.perf_counter_ns()
        first = self._first or end
        answer.total_duration = end - self._start
        answer.prompt_eval_duration = first - self._start
        answer.eval_duration = end - first
        answer.prompt_eval_count = usage.prompt_tokens
        answer.eval_count = usage.completion_tokens


def done_reason(finish_reason: str | None) -> str:
    """OpenAI's finish reason in Ollama's words (tool calls end with `stop` there)."""
    return "length" if finish_reason == "length" else "stop"


def _usage(chat: oa.ChatRequest, usage: oa.Usage | None, chars: int) -> oa.Usage:
    if usage is not None and (usage.prompt_tokens or usage.completion_tokens):
        return usage
    return oa.Usage.of(oa.estimated_tokens(chat), tokens.estimate(chars))


def arguments(text: str) -> dict[str, Any]:
    """A tool call's JSON arguments as the object Ollama sends; `UpstreamError` if not one."""
    try:
        value = msgspec.json.decode(text or "{}")
    except msgspec.DecodeError:
        value = None
    if not isinstance(value, dict):
        raise errors.UpstreamError(
            f"the backend's tool call arguments are not a JSON object: {text[:200]!r}"
        )
    return value


def _calls(calls: list[tuple[str, str]]) -> list[ow.OllamaToolCall]:
    return [
        ow.OllamaToolCall(function=ow.OllamaFunction(name=name, arguments=arguments(text)))
        for name, text in calls
    ]


def loaded(model: str, *, generate: bool) -> Answer:
    """The answer to a request with nothing to say: Ollama's way to load a model."""
    if generate:
        return ow.Generated(model=model, created_at=now(), done=True, done_reason="load")
    message = ow.Message(role="assistant")
    return ow.ChatChunk(
        model=model, created_at=now(), message=message, done=True, done_reason="load"
    )


def chat_answer(chat: oa.ChatRequest, completion: oa.Completion, timing: Timing) -> ow.ChatChunk:
    """The whole /api/chat answer for a completion of `chat`."""
    found = completion.message
    text = found.content or ""
    calls = [(c.function.name, c.function.arguments) for c in found.tool_calls or ()]
    message = ow.Message(
        role="assistant",
        content=text,
        tool_calls=_calls(calls) or msgspec.UNSET,
        thinking=found.reasoning_content or msgspec.UNSET,
    )
    answer = ow.ChatChunk(
        model=chat.model,
        created_at=now(),
        message=message,
        done=True,
        done_reason=done_reason(_finish(completion)),
    )
    timing.answering()
    timing.close(answer, _usage(chat, completion.usage, len(text)))
    return answer


def generate_answer(
    chat: oa.ChatRequest, completion: oa.Completion, timing: Timing
) -> ow.Generated:
    """The whole /api/generate answer for a completion of `chat`."""
    found = completion.message
    text = found.content or ""
    answer = ow.Generated(
        model=chat.model,
        created_at=now(),
        response=text,
        thinking=found.reasoning_content or msgspec.UNSET,
        done=True,
        done_reason=done_reason(_finish(completion)),
    )
    timing.answering()
    timing.close(answer, _usage(chat, completion.usage, len(text)))
    return answer


def _finish(completion: oa.Completion) -> str | None:
    return completion.choices[0].finish_reason if completion.choices else None


class Lines:
    """The NDJSON lines of one streamed answer to `chat`, chunk by chunk.

    Text and thinking go out as they come; tool calls, streamed in fragments by OpenAI
    backends, go out whole in one line before the closing one (as Ollama sends them).
    """

    def __init__(self, chat: oa.ChatRequest, timing: Timing, *, generate: bool) -> None:
        self._chat = chat
        self._timing = timing
        self._generate = generate
        self._calls: dict[int, tuple[str, list[str]]] = {}
        self._finish: str | None = None
        self._usage: oa.Usage | None = None
        self._chars = 0

    def feed(self, *chunks: oa.Chunk) -> bytes:
        """One line for chunks that came together (empty when they add no text)."""
        text = thinking = ""
        for chunk in chunks:
            if chunk.usage is not None:
                self._usage = chunk.usage
            for choice in chunk.choices:
                if choice.index != 0:
                    continue
                delta = choice.delta
                text += delta.content or ""
                thinking += delta.reasoning_content or ""
                for fragment in delta.tool_calls or ():
                    self._fragment(fragment)
                self._finish = choice.finish_reason or self._finish
        if not text and not thinking:
            return b""
        self._timing.answering()
        self._chars += len(text)
        return line(self._answer(text, thinking, done=False))

    def _fragment(self, fragment: oa.DeltaToolCall) -> None:
        name, parts = self._calls.setdefault(fragment.index, ("", []))
        if fragment.function.name:
            name = fragment.function.name
        if fragment.function.arguments:
            parts.append(fragment.function.arguments)
        self._calls[fragment.index] = (name, parts)

    def close(self) -> bytes:
        """The last lines: the tool calls, if any, then `done` with durations and counts."""
        out = b""
        if self._calls and not self._generate:
            calls = [(name, "".join(parts)) for _, (name, parts) in sorted(self._calls.items())]
            message = ow.Message(role="assistant", tool_calls=_calls(calls))
            out = line(ow.ChatChunk(model=self._chat.model, created_at=now(), message=message))
        last = self._answer("", "", done=True)
        last.done_reason = done_reason(self._finish)
        self._timing.close(last, _usage(self._chat, self._usage, self._chars))
        return out + line(last)

    def _answer(self, text: str, thinking: str, *, done: bool) -> Answer:
        if self._generate:
            return ow.Generated(
                model=self._chat.model,
                created_at=now(),
                response=text,
                thinking=thinking or msgspec.UNSET,
                done=done,
            )
        message = ow.Message(role="assistant", content=text, thinking=thinking or msgspec.UNSET)
        return ow.ChatChunk(model=self._chat.model, created_at=now(), message=message, done=done)


async def ndjson(items: AsyncIterator[StreamItem], lines: Lines) -> AsyncIterator[bytes]:
    """A gateway stream as Ollama's NDJSON; a stream that breaks off ends with an error line."""
    reader = ChunkReader()
    async with contextlib.aclosing(cast(AsyncGenerator[StreamItem, None], items)) as stream:
        try:
            async for item in stream:
                out = lines.feed(*reader.feed(item))  # one line a read, not one a token
                if out:
                    yield out
            yield lines.close()
        except errors.Error as exc:
            yield error_line(exc.message)
