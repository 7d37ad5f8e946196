"""POST /tasks (an inline chain) and the chain-backed OpenAI routes `/openai/{chainID}/v1/...`."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Stream

from runtime import errors
from runtime.api.base import Name, page_request
from runtime.api.disconnect import unless_gone
from runtime.api.openai import ModelEntryOut, ModelListOut
from runtime.api.streaming import OpenedStream, opened
from runtime.execution.chains import ChainChat, ChainRunner
from runtime.registry import ModelService
from runtime.taskengine.datatypes import to_builtins
from runtime.taskengine.schema import decode_chain

StackTrace = Annotated[str | None, QueryParameter(name="stackTrace")]


class TaskIn(msgspec.Struct, kw_only=True):
    """Body of POST /tasks: the chain, its input and the input's type name."""

    input: Any = None
    input_type: Name = msgspec.field(default="", name="inputType")
    chain: dict[str, Any] | None = None


class TaskController(Controller):
    """Run a chain given in the request."""

    @post("/tasks", status_code=200)
    async def run_task(
        self, data: JSONBody[TaskIn], chain_runner: NamedDependency[ChainRunner]
    ) -> dict[str, Any]:
        if data.chain is None:
            raise errors.BadRequestError("chain is required", param="chain")
        result = await chain_runner.run(decode_chain(data.chain), data.input, data.input_type)
        return {
            "output": to_builtins(result.output),
            "outputType": result.output_type.value,
            "state": msgspec.to_builtins(result.state),
        }


class ChainChatController(Controller):
    """OpenAI-compatible chat answered by a stored chain."""

    path = "/openai/{chain_id:str}/v1"

    @post("/chat/completions", status_code=200)
    async def create_chain_chat_completion(
        self,
        chain_id: FromPath[str],
        request: Request[Any, Any, Any],
        chain_chat: NamedDependency[ChainChat],
        stack_trace: StackTrace = None,
    ) -> Response[bytes] | Stream:
        body = await request.body()
        answer = await unless_gone(
            request, chain_chat.answer(chain_id, body, stack_trace=stack_trace in ("true", "True"))
        )
        if isinstance(answer, dict):
            return Response(msgspec.json.encode(answer), media_type=MediaType.JSON)
        return OpenedStream(opened(answer))

    @get("/models")
    async def list_chain_models(
        self,
        chain_id: FromPath[str],
        models: NamedDependency[ModelService],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> ModelListOut:
        listed = await models.list_page(page_request(limit, cursor))
        return ModelListOut(data=[ModelEntryOut.from_registry(m) for m in listed])
