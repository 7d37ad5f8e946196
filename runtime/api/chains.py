"""/taskchains: stored task-chain definitions (upsert on create, echo on write)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery

from runtime.api.base import literal, page_request
from runtime.api.request import off_loop
from runtime.api.resources import visible
from runtime.chainstore import ChainService
from runtime.identity.acl import AccessService
from runtime.taskengine.schema import ChainDefinition, decode_chain, encode_chain


def _json(body: bytes, status_code: int = 200) -> Response[bytes]:
    return Response(content=body, status_code=status_code, media_type=MediaType.JSON)


async def _chain(request: Request[Any, Any, Any]) -> ChainDefinition:
    return await off_loop(decode_chain, await request.body())


class ChainController(Controller):
    """Task chains by id."""

    path = "/taskchains"

    @post(status_code=201)
    async def save_chain(
        self,
        request: Request[Any, Any, Any],
        chains: NamedDependency[ChainService],
        access: NamedDependency[AccessService],
    ) -> Response[bytes]:
        chain = await _chain(request)
        await access.require(request.user, "chain", chain.id, "edit")  # replacing one
        return _json(encode_chain(await chains.save(chain)), 201)

    @get()
    async def list_chains(
        self,
        request: Request[Any, Any, Any],
        chains: NamedDependency[ChainService],
        access: NamedDependency[AccessService],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        found = await chains.list_page(page_request(limit, cursor))
        shown = await visible(access, request.user, "chain", ((c.id, c) for c in found))
        return _json(b"[" + b",".join(encode_chain(chain) for chain in shown) + b"]")

    @get("/{chain_id:str}")
    async def get_chain(
        self, chain_id: FromPath[str], chains: NamedDependency[ChainService]
    ) -> Response[bytes]:
        return _json(encode_chain(await chains.get(chain_id)))

    @put("/{chain_id:str}")
    async def replace_chain(
        self,
        chain_id: FromPath[str],
        request: Request[Any, Any, Any],
        chains: NamedDependency[ChainService],
    ) -> Response[bytes]:
        return _json(encode_chain(await chains.replace(chain_id, await _chain(request))))

    @delete("/{chain_id:str}", status_code=200)
    async def delete_chain(
        self, chain_id: FromPath[str], chains: NamedDependency[ChainService]
    ) -> Response[bytes]:
        await chains.delete(chain_id)
        return literal(f"task chain {chain_id} deleted")
