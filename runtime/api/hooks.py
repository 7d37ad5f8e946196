"""/hooks/remote, /hooks/schemas and /supported: remote hook CRUD and their OpenAPI documents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from runtime import errors
from runtime.api.base import ApiStruct, Int32, Kind, Name, Url, literal, page_request
from runtime.hooks import HookService, HookSpec, InjectionArg, RemoteHook
from runtime.paging import PageRequest
from runtime.providerconfig import mask


class InjectionArgBody(ApiStruct):
    """The argument a hook injects into every call: `{name, value, in}`."""

    name: Name = ""
    value: Any = None
    location: Kind = msgspec.field(default="", name="in")


class HookIn(ApiStruct):
    """Body of POST and PUT /hooks/remote; timestamps are accepted and ignored."""

    id: Name = ""
    name: Name = ""
    endpoint_url: Url = ""
    timeout_ms: Int32 = 0
    headers: dict[str, str] | None = None
    properties: InjectionArgBody | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def to_spec(self) -> HookSpec:
        arg = self.properties or InjectionArgBody()
        return HookSpec(
            id=self.id,
            name=self.name,
            endpoint_url=self.endpoint_url,
            timeout_ms=self.timeout_ms,
            headers=dict(self.headers or {}),
            properties=InjectionArg(name=arg.name, value=arg.value, location=arg.location),
        )


class HookOut(ApiStruct):
    """A remote hook as stored, header values masked like provider keys (only when some)."""

    id: str
    name: str
    endpoint_url: str
    timeout_ms: int
    properties: InjectionArgBody
    created_at: datetime
    updated_at: datetime
    headers: dict[str, str] | msgspec.UnsetType = msgspec.UNSET

    @classmethod
    def from_domain(cls, hook: RemoteHook) -> HookOut:
        arg = hook.properties
        return cls(
            id=hook.id,
            name=hook.name,
            endpoint_url=hook.endpoint_url,
            timeout_ms=hook.timeout_ms,
            properties=InjectionArgBody(name=arg.name, value=arg.value, location=arg.location),
            created_at=hook.created_at,
            updated_at=hook.updated_at,
            headers={k: mask(v) for k, v in hook.headers.items()}
            if hook.headers
            else msgspec.UNSET,
        )


def hook_page(limit: str | None, cursor: str | None) -> PageRequest:
    """Paging of /hooks/remote: malformed `limit`/`cursor` are 404 here, as in the reference."""
    if limit and not limit.lstrip("-").isdigit():
        raise errors.NotFoundError(
            f"invalid limit format: {limit!r} is not an integer", param="limit"
        )
    if cursor:
        try:
            datetime.fromisoformat(cursor)
        except ValueError:
            raise errors.NotFoundError(
                f"invalid cursor format: {cursor!r} is not an RFC3339Nano timestamp",
                param="cursor",
            ) from None
    return page_request(limit, cursor)


class HookController(Controller):
    """Remote hooks: tool servers that task chains call through their OpenAPI operations."""

    path = "/hooks"

    @post("/remote")
    async def create_hook(
        self, data: JSONBody[HookIn], hooks: NamedDependency[HookService]
    ) -> HookOut:
        return HookOut.from_domain(await hooks.create(data.to_spec()))

    @get("/remote")
    async def list_hooks(
        self,
        hooks: NamedDependency[HookService],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> list[HookOut]:
        return [HookOut.from_domain(h) for h in await hooks.list_page(hook_page(limit, cursor))]

    @get("/remote/by-name/{name:str}")
    async def get_hook_by_name(
        self, name: FromPath[str], hooks: NamedDependency[HookService]
    ) -> HookOut:
        return HookOut.from_domain(await hooks.get_by_name(name))

    @get("/remote/{hook_id:str}")
    async def get_hook(
        self, hook_id: FromPath[str], hooks: NamedDependency[HookService]
    ) -> HookOut:
        return HookOut.from_domain(await hooks.get(hook_id))

    @put("/remote/{hook_id:str}")
    async def update_hook(
        self,
        hook_id: FromPath[str],
        data: JSONBody[HookIn],
        hooks: NamedDependency[HookService],
    ) -> HookOut:
        return HookOut.from_domain(await hooks.update(hook_id, data.to_spec()))

    @delete("/remote/{hook_id:str}", status_code=200)
    async def delete_hook(
        self, hook_id: FromPath[str], hooks: NamedDependency[HookService]
    ) -> Response[bytes]:
        await hooks.delete(hook_id)
        return literal("deleted")

    @get("/schemas")
    async def list_hook_schemas(self, hooks: NamedDependency[HookService]) -> dict[str, Any]:
        return await hooks.schemas()


class SupportedController(Controller):
    """The hook names task chains can use."""

    path = "/supported"

    @get()
    async def list_supported(self, hooks: NamedDependency[HookService]) -> list[str]:
        return await hooks.names()
