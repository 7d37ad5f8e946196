"""/execute, /embed and /defaultmodel: one prompt or one embedding on the default models."""

from __future__ import annotations

import uuid

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from runtime.api.base import LongName, Name
from runtime.execution.tasks import TaskService


class ExecuteIn(msgspec.Struct, kw_only=True):
    """Body of POST /execute (snake_case, as the API reference spells it)."""

    prompt: str = ""
    model_name: LongName = ""
    model_provider: Name = ""


class ExecuteOut(msgspec.Struct):
    """The answer to one prompt."""

    id: str
    response: str


class EmbedIn(msgspec.Struct, kw_only=True):
    """Body of POST /embed."""

    text: str = ""


class EmbedOut(msgspec.Struct):
    """One embedding vector."""

    vector: list[float]


class DefaultModelOut(msgspec.Struct):
    """The default embedding model (the API reference calls it the default model)."""

    modelName: str  # noqa: N815 - the API reference's spelling


class ExecuteController(Controller):
    """Single prompts and embeddings."""

    @post("/execute", status_code=200)
    async def execute_prompt(
        self, data: JSONBody[ExecuteIn], tasks: NamedDependency[TaskService]
    ) -> ExecuteOut:
        answer = await tasks.prompt(
            data.prompt, model=data.model_name, provider=data.model_provider
        )
        return ExecuteOut(id=str(uuid.uuid4()), response=answer)

    @post("/embed", status_code=200)
    async def embed_text(
        self, data: JSONBody[EmbedIn], tasks: NamedDependency[TaskService]
    ) -> EmbedOut:
        return EmbedOut(vector=await tasks.embed(data.text))

    @get("/defaultmodel")
    async def get_default_model(self, tasks: NamedDependency[TaskService]) -> DefaultModelOut:
        return DefaultModelOut(modelName=tasks.embed_model.model if tasks.embed_model else "")
