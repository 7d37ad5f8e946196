"""/access-control and /permissions: who may view, edit or manage which resource."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from runtime.api.base import ApiStruct, Kind, Name, literal, page_request
from runtime.identity.access import PERMISSIONS, AccessEntry
from runtime.identity.acl import AccessService

Resource = Annotated[str, msgspec.Meta(max_length=512)]


class AccessEntryIn(ApiStruct):
    """accessservice_AccessEntryRequest; `id`, timestamps and details are accepted and ignored."""

    identity: Name = ""
    resource: Resource = ""
    resource_type: Kind = ""
    permission: Kind = ""
    id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    identity_details: Any = None
    file_details: Any = None
    with_user_details: bool | None = None


class AccessEntryOut(ApiStruct):
    """An access-control entry as stored."""

    id: str
    identity: str
    resource: str
    resource_type: str
    permission: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, entry: AccessEntry) -> AccessEntryOut:
        return cls(**msgspec.structs.asdict(entry))


class AccessController(Controller):
    """Access-control entries (admin)."""

    path = "/access-control"

    @post()
    async def create_access_entry(
        self, data: JSONBody[AccessEntryIn], access: NamedDependency[AccessService]
    ) -> AccessEntryOut:
        entry = await access.create(
            data.identity, data.resource_type, data.resource, data.permission
        )
        return AccessEntryOut.from_domain(entry)

    @get()
    async def list_access_entries(
        self,
        access: NamedDependency[AccessService],
        holder: Annotated[str | None, QueryParameter(name="identity")] = None,
        since: Annotated[str | None, QueryParameter(name="from")] = None,
        limit: FromQuery[str | None] = None,
    ) -> list[AccessEntryOut]:
        found = await access.list_page(page_request(limit, since), holder)
        return [AccessEntryOut.from_domain(entry) for entry in found]

    @get("/{entry_id:str}")
    async def get_access_entry(
        self, entry_id: FromPath[str], access: NamedDependency[AccessService]
    ) -> AccessEntryOut:
        return AccessEntryOut.from_domain(await access.get(entry_id))

    @put("/{entry_id:str}")
    async def update_access_entry(
        self,
        entry_id: FromPath[str],
        data: JSONBody[AccessEntryIn],
        access: NamedDependency[AccessService],
    ) -> AccessEntryOut:
        changes = {
            "identity": data.identity,
            "resource": data.resource,
            "resource_type": data.resource_type,
            "permission": data.permission,
        }
        return AccessEntryOut.from_domain(await access.update(entry_id, changes))

    @delete("/{entry_id:str}", status_code=200)
    async def delete_access_entry(
        self, entry_id: FromPath[str], access: NamedDependency[AccessService]
    ) -> Response[bytes]:
        await access.delete(entry_id)
        return literal("deleted")


class PermissionController(Controller):
    """The permission levels entries can grant."""

    path = "/permissions"

    @get()
    async def list_permissions(self) -> list[str]:
        return list(PERMISSIONS)
