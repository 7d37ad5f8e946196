"""/models: declare, list, update and remove LLM models."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from runtime import errors
from runtime.api.base import ApiStruct, Int32, LongName, literal, page_request
from runtime.registry import Model, ModelService, ModelSpec


class ModelIn(ApiStruct):
    """Body of POST and PUT /models; `id` must match the path on PUT when given."""

    model: LongName = ""
    context_length: Int32 = 0
    can_chat: bool = False
    can_embed: bool = False
    can_prompt: bool = False
    can_stream: bool = False
    id: LongName | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def to_spec(self) -> ModelSpec:
        return ModelSpec(
            model=self.model,
            context_length=self.context_length,
            can_chat=self.can_chat,
            can_embed=self.can_embed,
            can_prompt=self.can_prompt,
            can_stream=self.can_stream,
        )


class ModelOut(ApiStruct):
    """A declared model."""

    id: str
    model: str
    context_length: int
    can_chat: bool
    can_embed: bool
    can_prompt: bool
    can_stream: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, model: Model) -> ModelOut:
        return cls(
            id=model.id,
            model=model.model,
            context_length=model.context_length,
            can_chat=model.can_chat,
            can_embed=model.can_embed,
            can_prompt=model.can_prompt,
            can_stream=model.can_stream,
            created_at=model.created_at,
            updated_at=model.updated_at,
        )


class ModelController(Controller):
    """Models the operator declared."""

    path = "/models"

    @post()
    async def create_model(
        self, data: JSONBody[ModelIn], models: NamedDependency[ModelService]
    ) -> ModelOut:
        return ModelOut.from_domain(await models.create(data.to_spec()))

    @get()
    async def list_models(
        self,
        models: NamedDependency[ModelService],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> list[ModelOut]:
        return [
            ModelOut.from_domain(m) for m in await models.list_page(page_request(limit, cursor))
        ]

    @put("/{model_id:str}")
    async def update_model(
        self,
        model_id: FromPath[str],
        data: JSONBody[ModelIn],
        models: NamedDependency[ModelService],
    ) -> ModelOut:
        if data.id and data.id != model_id:
            raise errors.InvalidInputError(
                "serverops: unprocessable entity: ID in payload does not match URL", param="id"
            )
        return ModelOut.from_domain(await models.update(model_id, data.to_spec()))

    @delete("/{model:str}", status_code=200)
    async def delete_model(
        self,
        model: FromPath[str],
        models: NamedDependency[ModelService],
        purge: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        await models.delete(model, purge=purge == "true")
        return literal("model removed")
