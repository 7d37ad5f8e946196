"""/v1/chat/completions and the model lists: an OpenAI-compatible gateway over the registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromQuery
from litestar.response import Stream

from runtime.api.base import page_request
from runtime.api.disconnect import unless_gone
from runtime.execution import ChatGateway
from runtime.registry import Model, ModelService
from runtime.wire.openai import as_json, parse_chat
from runtime.wire.sse import encoded


class ModelEntryOut(msgspec.Struct):
    """A model in OpenAI's list format."""

    id: str
    created: int
    object: str = "model"
    owned_by: str = "system"


class ModelListOut(msgspec.Struct):
    """OpenAI's model list."""

    data: list[ModelEntryOut]
    object: str = "list"

    @classmethod
    def from_domain(cls, models: list[Model]) -> ModelListOut:
        return cls(data=[ModelEntryOut(id=m.model, created=_unix(m.created_at)) for m in models])


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


class OpenAIController(Controller):
    """Model-routed chat completions, no chain needed."""

    @post("/v1/chat/completions", status_code=200)
    async def create_chat_completion(
        self, request: Request[Any, Any, Any], chat: NamedDependency[ChatGateway]
    ) -> Response[bytes] | Stream:
        body = await request.body()
        parsed = parse_chat(body)
        if parsed.stream:
            return Stream(
                encoded(await unless_gone(request, chat.stream(parsed, body))),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        answer = await unless_gone(request, chat.complete(parsed, body))
        return Response(as_json(answer), media_type=MediaType.JSON)

    @get(["/v1/models", "/openai/v1/models"])
    async def list_openai_models(
        self,
        models: NamedDependency[ModelService],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> ModelListOut:
        return ModelListOut.from_domain(await models.list_page(page_request(limit, cursor)))
