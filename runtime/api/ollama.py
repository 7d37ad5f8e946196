"""/api/*: Ollama's client API, so Ollama clients can use the models our groups serve.

Chat, generate and embeddings route through the same groups as /v1, to any kind of backend.
Streams are NDJSON (`stream` defaults to true, as in Ollama). Errors, wherever they arise, are
Ollama's `{"error": "..."}` with our status (see `runtime.api.errors`); model management is
refused with a 405 that names our routes.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import JSONBody
from litestar.response import Stream

from runtime import errors
from runtime.api.disconnect import unless_gone
from runtime.api.ollama_models import MANAGED_BY_GROUPS, running, show, tags
from runtime.api.streaming import OpenedStream
from runtime.execution import ChatGateway
from runtime.execution.ollama import OllamaGateway
from runtime.state import SnapshotHolder
from runtime.wire import ollama as ow

NDJSON = "application/x-ndjson"
# the Ollama API level whose features this surface implements (think, streamed tool calls,
# `format` schemas); our own version is at /version
OLLAMA_API_VERSION = "0.9.0"


def _json(answer: msgspec.Struct) -> Response[bytes]:
    return Response(msgspec.json.encode(answer), media_type=MediaType.JSON)


class OllamaController(Controller):
    """Ollama's model lists, chat, generate and embeddings; management calls refused."""

    path = "/api"

    @get("/version")
    async def get_ollama_version(self) -> ow.Version:
        return ow.Version(version=OLLAMA_API_VERSION)

    @get("/tags")
    async def list_ollama_models(
        self, chat: NamedDependency[ChatGateway], snapshot: NamedDependency[SnapshotHolder]
    ) -> ow.Tags:
        return tags(chat.offers(), snapshot.current.taken_at)

    @get("/ps")
    async def list_ollama_running(self, chat: NamedDependency[ChatGateway]) -> ow.RunningList:
        return running(chat.offers())

    @post("/show", status_code=200)
    async def show_ollama_model(
        self, data: JSONBody[ow.ShowRequest], chat: NamedDependency[ChatGateway]
    ) -> ow.Show:
        return show(chat.offer(data.model or data.name))

    @post("/chat", status_code=200)
    async def ollama_chat(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[ow.OllamaChatRequest],
        ollama: NamedDependency[OllamaGateway],
    ) -> Response[bytes] | Stream:
        if data.stream:
            return OpenedStream(ollama.stream_chat(data), media_type=NDJSON)
        return _json(await unless_gone(request, ollama.chat(data)))

    @post("/generate", status_code=200)
    async def ollama_generate(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[ow.GenerateRequest],
        ollama: NamedDependency[OllamaGateway],
    ) -> Response[bytes] | Stream:
        if data.stream:
            return OpenedStream(ollama.stream_generate(data), media_type=NDJSON)
        return _json(await unless_gone(request, ollama.generate(data)))

    @post("/embed", status_code=200)
    async def ollama_embed(
        self, data: JSONBody[ow.EmbedRequest], ollama: NamedDependency[OllamaGateway]
    ) -> ow.Embedded:
        return await ollama.embed(data)

    @post("/embeddings", status_code=200)
    async def ollama_embeddings(
        self, data: JSONBody[ow.LegacyEmbedRequest], ollama: NamedDependency[OllamaGateway]
    ) -> ow.LegacyEmbedded:
        return await ollama.embed_legacy(data)

    @post(["/pull", "/push", "/create", "/copy"], status_code=200)
    async def manage_ollama_model(self, request: Request[Any, Any, Any]) -> None:
        action = request.scope["path"].rsplit("/", 1)[-1]
        raise errors.NotOfferedError(MANAGED_BY_GROUPS.format(action=action))

    @delete("/delete", status_code=200)
    async def delete_ollama_model(self) -> None:
        raise errors.NotOfferedError(MANAGED_BY_GROUPS.format(action="delete"))
