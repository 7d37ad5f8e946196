"""OpenAI's API over the registry: chat and text completions, embeddings, the served models.

Thin: bodies are decoded into `runtime.wire` Structs, the gateway routes them, and answers are
encoded once (an OpenAI backend's bytes are relayed as they came).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable
from typing import Any, cast

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, JSONBody
from litestar.response import Stream

from runtime.api.disconnect import unless_gone
from runtime.api.streaming import OpenedStream
from runtime.execution import ChatGateway
from runtime.registry import Model
from runtime.state.catalog import Offer
from runtime.wire import completions, embeddings
from runtime.wire.openai import as_completion, as_json, parse_chat
from runtime.wire.sse import DONE, ChunkReader, StreamItem, encoded, error_event, event


class ModelEntryOut(msgspec.Struct):
    """A model in OpenAI's list format; `owned_by` is the kind of backend serving it."""

    id: str
    created: int
    object: str = "model"
    owned_by: str = "system"

    @classmethod
    def from_registry(cls, model: Model) -> ModelEntryOut:
        return cls(id=model.model, created=int(model.created_at.timestamp()))

    @classmethod
    def from_domain(cls, model: Offer) -> ModelEntryOut:
        moment = model.served.modified_at
        return cls(
            id=model.name,
            created=int(moment.timestamp()) if moment else 0,
            owned_by=model.kinds[0],
        )


class ModelListOut(msgspec.Struct):
    """OpenAI's model list."""

    data: list[ModelEntryOut]
    object: str = "list"


class OpenAIController(Controller):
    """Model-routed OpenAI endpoints, no chain needed."""

    @post("/v1/chat/completions", status_code=200)
    async def create_chat_completion(
        self, request: Request[Any, Any, Any], chat: NamedDependency[ChatGateway]
    ) -> Response[bytes] | Stream:
        body = await request.body()
        parsed = parse_chat(body)
        if parsed.stream:
            return OpenedStream(_opened(chat.stream(parsed, body)))
        answer = await unless_gone(request, chat.complete(parsed, body))
        return Response(as_json(answer), media_type=MediaType.JSON)

    @post("/v1/completions", status_code=200)
    async def create_completion(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[completions.CompletionRequest],
        chat: NamedDependency[ChatGateway],
    ) -> completions.TextCompletion | Stream:
        prompts = data.prompts()
        if data.stream:
            text = completions.TextStream(data, prompts[0])
            return OpenedStream(_opened_text(text, chat.stream(data.chat(prompts[0]))))
        answers = await unless_gone(
            request, asyncio.gather(*(chat.complete(data.chat(p)) for p in prompts))
        )
        return completions.whole(data, prompts, [as_completion(a) for a in answers])

    @post("/v1/embeddings", status_code=200)
    async def create_embeddings(
        self, data: JSONBody[embeddings.EmbeddingsRequest], chat: NamedDependency[ChatGateway]
    ) -> embeddings.EmbeddingsResponse:
        texts = data.texts()
        embedded = await chat.embed(data.model, texts, dimensions=data.dimensions)
        return embeddings.response(data, texts, embedded.vectors, embedded.prompt_tokens)

    @get(["/v1/models", "/openai/v1/models"])
    async def list_openai_models(self, chat: NamedDependency[ChatGateway]) -> ModelListOut:
        return ModelListOut(data=[ModelEntryOut.from_domain(m) for m in chat.offers()])

    @get("/v1/models/{model_id:path}")
    async def get_openai_model(
        self, model_id: FromPath[str], chat: NamedDependency[ChatGateway]
    ) -> ModelEntryOut:
        return ModelEntryOut.from_domain(chat.offer(model_id.lstrip("/")))


async def _opened(opening: Awaitable[AsyncIterator[StreamItem]]) -> AsyncIterator[bytes]:
    return encoded(await opening)


async def _opened_text(
    text: completions.TextStream, opening: Awaitable[AsyncIterator[StreamItem]]
) -> AsyncIterator[bytes]:
    return _text_stream(text, await opening)


async def _text_stream(
    text: completions.TextStream, stream: AsyncIterator[StreamItem]
) -> AsyncIterator[bytes]:
    """Chat chunks as `text_completion` events; a failure mid-stream ends it with an error event."""
    reader = ChunkReader()
    async with contextlib.aclosing(cast(AsyncGenerator[StreamItem, None], stream)) as items:
        try:
            async for item in items:
                for chunk in reader.feed(item):
                    for out in text.chunks(chunk):
                        yield event(msgspec.json.encode(out))
        except Exception as exc:  # noqa: BLE001 - the client gets the error's envelope
            yield error_event(exc)
            return
    yield DONE
