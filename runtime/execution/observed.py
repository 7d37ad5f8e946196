"""What the gateway tells observability: each backend attempt, first items, token usage.

An `Attempt` lands in the request's activity record (when there is one), the backend metrics
and a span; `usage` reads the token counts of an answer (typed, or an OpenAI body relayed as
bytes) into the record and the token counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from contextlib import AbstractContextManager
from typing import Any

import msgspec

from runtime import errors
from runtime.observability import metrics, tracing
from runtime.observability.record import current
from runtime.routing import Route
from runtime.wire.openai import Chunk, Completion, Usage
from runtime.wire.sse import StreamItem, UsageFilter, usage_only


class Attempt:
    """One try of a request on one route."""

    __slots__ = ("_backend", "_metrics", "_model", "_opened", "_span", "_started", "_usage", "sent")

    def __init__(self, route: Route, *, failover: bool, usage: bool = True) -> None:
        self._backend = route.backend.name
        # the client asked for the usage chunk of a stream, or it is cut from what is relayed
        self._usage = None if usage else UsageFilter()
        self._model = route.model
        self._metrics = metrics.routed(self._backend, self._model)
        record = current.get()
        self._opened = record.attempt(self._backend, self._model) if record is not None else None
        self._started = time.perf_counter()
        self.sent = False  # a streamed item reached the client
        self._span = tracing.start(
            "backend attempt",
            **{"runtime.backend": self._backend, "gen_ai.request.model": self._model},
        )
        if failover:
            metrics.child(metrics.failovers, self._model).inc()

    def __enter__(self) -> Attempt:
        return self

    def __exit__(self, _type: object, exc: BaseException | None, _tb: object) -> None:
        self.ended(exc)

    def span(self) -> AbstractContextManager[Any]:
        """The attempt's span as the current one (for a whole answer awaited in one place)."""
        return tracing.current(self._span)

    def item(self, chunk: StreamItem) -> StreamItem | None:
        """Count a streamed item; what of it goes out to the client (None: nothing).

        The first sets the time to first token. Usage is counted from every item; the event
        that only reports usage goes out only to a client that asked for it.
        """
        usage(chunk)  # a short answer's relayed bytes may hold it all
        if self._usage is not None:
            if isinstance(chunk, bytes):
                chunk = self._usage.feed(chunk)
            elif usage_only(chunk):
                return None
            if not chunk:
                return None
        if self.sent:
            return chunk
        self.sent = True
        record = current.get()
        if record is not None:
            record.first_item()
            since = record.first_token
        else:
            since = time.perf_counter() - self._started
        self._metrics.first_token.observe(since)
        return chunk

    def rest(self) -> bytes:
        """Relayed bytes still held when the stream ended (an event without its end)."""
        return b"" if self._usage is None else self._usage.rest()

    def ended(self, exc: BaseException | None) -> None:
        if exc is None:
            outcome, message = "ok", ""
        elif isinstance(exc, errors.Error):
            outcome, message = ("failed" if exc.retryable else "error"), exc.message
        elif isinstance(exc, Exception):
            outcome, message = "error", str(exc) or type(exc).__name__
        else:
            outcome = "cancelled"
            message = "cancelled" if isinstance(exc, asyncio.CancelledError) else type(exc).__name__
        seconds = time.perf_counter() - self._started
        self._metrics.ended(outcome, seconds)
        if self._opened is not None:
            self._opened.close(outcome, message)
        tracing.end(self._span, message if outcome != "ok" else "")


class _WithUsage(msgspec.Struct):
    usage: Usage | None = None


_usage_of = msgspec.json.Decoder(_WithUsage)


def usage(answer: Completion | StreamItem) -> None:
    """Count the answer's reported tokens (nothing when it reports none).

    An answer is typed, an OpenAI body relayed as bytes, or relayed SSE bytes (whose events
    carrying a `usage` object are read; one split across two reads goes uncounted).
    """
    found: Usage | None
    if isinstance(answer, Completion | Chunk):
        found = answer.usage
    elif answer[:1] == b"{":
        try:
            found = _usage_of.decode(answer).usage
        except msgspec.DecodeError:
            return
    elif _USAGE.search(answer):  # one scan in C: most relayed chunks carry `"usage":null`
        found = _relayed_usage(answer)
    else:
        return
    if found is not None:
        counted(found.prompt_tokens, found.completion_tokens)


_USAGE = re.compile(rb'"usage": ?\{')


def _relayed_usage(events: bytes) -> Usage | None:
    for line in events.split(b"\n"):
        if line.startswith(b"data: {") and _USAGE.search(line):
            with contextlib.suppress(msgspec.DecodeError):
                return _usage_of.decode(line[6:]).usage
    return None


def estimated(tokens: int) -> None:
    """A call is about to send a prompt of about `tokens` (charged when nothing is reported)."""
    record = current.get()
    if record is not None:
        record.tokens_estimated += tokens


def counted(prompt_tokens: int, completion_tokens: int = 0) -> None:
    """Tokens a backend reported for a call: into the request's record and the counters."""
    record = current.get()
    if record is None:
        return
    record.tokens_in += prompt_tokens
    record.tokens_out += completion_tokens
    routed = metrics.routed(record.backend, record.model)
    routed.tokens_in.inc(prompt_tokens)
    routed.tokens_out.inc(completion_tokens)


class ChainWatch:
    """A chain run seen from outside: its live state in the request's record, a span a step."""

    def run_started(self, chain_id: str, state: list[Any]) -> None:
        record = current.get()
        if record is not None:
            record.chain = chain_id
            record.steps = state  # the run's own list: complete when the request ends

    def step(self, handler: str, task_id: str) -> AbstractContextManager[Any]:
        return tracing.span("chain step", **{"runtime.handler": handler, "runtime.task": task_id})

    def step_ended(self, handler: str, *, ok: bool) -> None:
        metrics.child(metrics.chain_steps, handler, "ok" if ok else "error").inc()
