"""Chain execution for the API and for functions: inline (`POST /tasks`), stored, and as chat.

`ChainChat` serves `/openai/{chainID}/v1/chat/completions`: the chain runs with the request as
`openai_chat` input; with `stream: true` the tokens of its final `model_execution` step are sent
as the backend produces them, and an error after the first byte ends the stream with an error
event (never a silent `[DONE]`).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from runtime import decoding, errors
from runtime.chainstore import ChainService
from runtime.execution.knowledge import collecting
from runtime.taskengine.chat import ChatHistory, OpenAIChatRequest, OpenAIChatResponse
from runtime.taskengine.convert import (
    completion_id,
    content_chunk,
    final_chunk,
    history_to_response,
    tool_calls_chunk,
)
from runtime.taskengine.datatypes import DataType, to_builtins
from runtime.taskengine.executor import Executor
from runtime.taskengine.ports import Source
from runtime.taskengine.schema import ChainDefinition
from runtime.taskengine.types import ChainError, RunResult
from runtime.wire.openai import Chunk
from runtime.wire.sse import DONE, encode, error_event


class ChainRunner:
    """Runs chains given inline or by id."""

    def __init__(self, executor: Executor, chains: ChainService) -> None:
        self.executor = executor
        self.chains = chains

    async def run(self, chain: ChainDefinition, value: Any, input_type: str) -> RunResult:
        return await self.executor.run(chain, value, input_type)

    async def run_stored(self, chain_id: str, value: Any) -> tuple[Any, list[Any]]:
        """A stored chain on a JSON input (what functions' `executeTaskChain` does)."""
        chain = await self.chains.get(chain_id)
        result = await self.executor.run(chain, value, DataType.JSON)
        return to_builtins(result.output), msgspec.to_builtins(result.state)


class ChainChat:
    """OpenAI chat completions answered by a stored chain."""

    def __init__(
        self, runner: ChainRunner, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._runner = runner
        self._clock = clock

    async def _prepare(
        self, chain_id: str, body: bytes
    ) -> tuple[ChainDefinition, OpenAIChatRequest]:
        request = decoding.decoder(OpenAIChatRequest, "invalid chat request").decode(body)
        return await self._runner.chains.get(chain_id), request

    async def _execute(
        self,
        chain: ChainDefinition,
        request: OpenAIChatRequest,
        on_delta: Callable[[str], Awaitable[None]] | None = None,
    ) -> RunResult:
        try:
            return await self._runner.executor.run(
                chain, request, DataType.OPENAI_CHAT, on_delta=on_delta
            )
        except ChainError as exc:
            raise _failure(exc) from exc

    def _response(self, result: RunResult) -> OpenAIChatResponse:
        output = result.output
        if output is None:
            raise errors.InvalidInputError("empty result from chain execution")
        if isinstance(output, OpenAIChatResponse):
            return output
        if isinstance(output, ChatHistory):
            now = self._clock()
            return history_to_response(
                output, completion_id(now, nanos=False), int(now.timestamp())
            )
        raise errors.InvalidInputError(f"invalid result type from chain: {result.output_type}")

    async def complete(
        self,
        chain_id: str,
        request: OpenAIChatRequest,
        on_delta: Callable[[str], Awaitable[None]] | None = None,
    ) -> OpenAIChatResponse:
        """The chain's answer to a request built in code (a chat turn, `runtime.chats`).

        Failures come out as `answer`'s do; with `on_delta` the final step streams to it.
        """
        chain = await self._runner.chains.get(chain_id)
        return self._response(await self._execute(chain, request, on_delta))

    async def answer(
        self, chain_id: str, body: bytes, *, stack_trace: bool
    ) -> dict[str, Any] | AsyncIterator[bytes]:
        """A `chat.completion`, or SSE chunks when the request asks for a stream."""
        chain, request = await self._prepare(chain_id, body)
        if request.stream:
            return await self._stream(chain, request)
        return await self._complete(chain, request, stack_trace=stack_trace)

    async def _complete(
        self, chain: ChainDefinition, request: OpenAIChatRequest, *, stack_trace: bool
    ) -> dict[str, Any]:
        with collecting() as sources:
            result = await self._execute(chain, request)
        reply: dict[str, Any] = msgspec.to_builtins(self._response(result))
        if sources:
            reply["sources"] = msgspec.to_builtins(sources)
        if stack_trace:
            reply["stackTrace"] = msgspec.to_builtins(result.state)
        return reply

    async def _stream(
        self, chain: ChainDefinition, request: OpenAIChatRequest
    ) -> AsyncIterator[bytes]:
        """SSE chunks; failures before the first chunk raise, as plain JSON errors do."""
        now = self._clock()
        ids = (completion_id(now), int(now.timestamp()), request.model or chain.id)
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        sources: list[Source] = []

        async def sink(text: str) -> None:
            await queue.put(text)

        async def run() -> RunResult:
            try:
                with collecting() as found:
                    try:
                        return await self._execute(chain, request, sink)
                    finally:
                        sources.extend(found)
            finally:
                await queue.put(None)

        task = asyncio.ensure_future(run())
        try:
            first = await queue.get()
        except BaseException:  # the client left before the first token: stop the chain
            await _stop(task)
            raise
        asked = request.wants_usage
        if first is None:  # nothing streamed: the chain has finished (or failed) already
            result = await task
            return self._whole(result, ids, sources, asked=asked)
        return self._relay(task, queue, first, (ids, sources, asked))

    def _whole(
        self, result: RunResult, ids: tuple[str, int, str], sources: list[Source], *, asked: bool
    ) -> AsyncIterator[bytes]:
        """A chain with no streamable step: its final answer in one chunk."""
        response = self._response(result)
        if not response.choices:
            raise errors.InvalidInputError("no choices returned from the model")
        choice = response.choices[0]

        async def chunks() -> AsyncIterator[bytes]:
            if choice.message.tool_calls:
                yield encode(tool_calls_chunk(*ids, choice.message.tool_calls))
            else:
                yield encode(content_chunk(*ids, choice.message.content or ""))
            for ending in _ending(ids, choice.finish_reason or "stop", sources, response, asked):
                yield ending

        return chunks()

    async def _relay(
        self,
        task: asyncio.Future[RunResult],
        queue: asyncio.Queue[str | None],
        first: str,
        stream: tuple[tuple[str, int, str], list[Source], bool],
    ) -> AsyncIterator[bytes]:
        ids, sources, asked = stream
        try:
            text: str | None = first
            while text is not None:
                texts = [text]  # with what else is waiting: one chunk for what came together
                while text is not None and not queue.empty():
                    text = queue.get_nowait()
                    if text is not None:
                        texts.append(text)
                yield encode(content_chunk(*ids, "".join(texts)))
                if text is not None:
                    text = await queue.get()
            try:
                response = self._response(await task)
            except errors.Error as exc:
                yield error_event(exc)
                return
            choice = response.choices[0] if response.choices else None
            if choice is not None and choice.message.tool_calls:
                yield encode(tool_calls_chunk(*ids, choice.message.tool_calls))
            reason = (choice.finish_reason if choice is not None else None) or "stop"
            for ending in _ending(ids, reason, sources, response, asked):
                yield ending
        finally:
            await _stop(task)  # when the client went away, the chain is still running


def _ending(
    ids: tuple[str, int, str],
    reason: str,
    sources: list[Source],
    response: OpenAIChatResponse,
    asked: bool,  # noqa: FBT001
) -> list[bytes]:
    """The last chunk, the usage chunk (no choices, as OpenAI sends it) if asked, `[DONE]`."""
    ending = [_final(ids, reason, sources)]
    if asked and response.usage is not None:
        ending.append(encode(Chunk(id=ids[0], created=ids[1], model=ids[2], usage=response.usage)))
    return [*ending, DONE]


def _final(ids: tuple[str, int, str], reason: str, sources: list[Source]) -> bytes:
    """The last chunk; with the retrieved `sources` beside `choices` when the chain had any."""
    chunk = final_chunk(*ids, reason)
    if not sources:
        return encode(chunk)
    body: dict[str, Any] = msgspec.to_builtins(chunk)
    body["sources"] = msgspec.to_builtins(sources)
    return b"data: " + msgspec.json.encode(body) + b"\n\n"


async def _stop(task: asyncio.Future[RunResult]) -> None:
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, errors.Error):
            await task


_ROUTING = (errors.UnavailableError, errors.UpstreamError, errors.ModelNotFoundError)


def _failure(exc: ChainError) -> errors.Error:
    """A failed chain as the caller sees it: a routing refusal keeps its status (as on /v1).

    Anything else is the chain's input at fault (422).
    """
    message = f"chain execution failed: {exc.message}"
    cause: BaseException | None = exc.__cause__
    while cause is not None and not isinstance(cause, _ROUTING):
        cause = cause.__cause__
    if isinstance(cause, _ROUTING):
        same = copy.copy(cause)
        same.message, same.args = message, (message,)
        return same
    return errors.InvalidInputError(message)
