"""/groups, /group-by-name and /group-by-purpose: affinity group CRUD and lookups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from runtime.affinity import Group, GroupService, GroupSpec
from runtime.api.base import ApiStruct, LongName, literal, page_request
from runtime.api.resources import visible
from runtime.identity.acl import AccessService


class GroupIn(ApiStruct):
    """Body of POST and PUT /groups; `id` and timestamps are accepted and ignored."""

    name: LongName = ""
    purpose_type: LongName = ""
    id: LongName | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def to_spec(self) -> GroupSpec:
        return GroupSpec(name=self.name, purpose_type=self.purpose_type)


class GroupOut(ApiStruct):
    """An affinity group."""

    id: str
    name: str
    purpose_type: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, group: Group) -> GroupOut:
        return cls(
            id=group.id,
            name=group.name,
            purpose_type=group.purpose_type,
            created_at=group.created_at,
            updated_at=group.updated_at,
        )


def groups_out(groups: list[Group]) -> list[GroupOut]:
    return [GroupOut.from_domain(group) for group in groups]


class GroupController(Controller):
    """Affinity groups."""

    path = "/groups"

    @post()
    async def create_group(
        self, data: JSONBody[GroupIn], groups: NamedDependency[GroupService]
    ) -> GroupOut:
        return GroupOut.from_domain(await groups.create(data.to_spec()))

    @get()
    async def list_groups(
        self,
        request: Request[Any, Any, Any],
        groups: NamedDependency[GroupService],
        access: NamedDependency[AccessService],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> list[GroupOut]:
        found = await groups.list_page(page_request(limit, cursor))
        return groups_out(await visible(access, request.user, "group", ((g.id, g) for g in found)))

    @get("/{group_id:str}")
    async def get_group(
        self, group_id: FromPath[str], groups: NamedDependency[GroupService]
    ) -> GroupOut:
        return GroupOut.from_domain(await groups.get(group_id))

    @put("/{group_id:str}")
    async def update_group(
        self,
        group_id: FromPath[str],
        data: JSONBody[GroupIn],
        groups: NamedDependency[GroupService],
    ) -> GroupOut:
        return GroupOut.from_domain(await groups.update(group_id, data.to_spec()))

    @delete("/{group_id:str}", status_code=200)
    async def delete_group(
        self, group_id: FromPath[str], groups: NamedDependency[GroupService]
    ) -> Response[bytes]:
        await groups.delete(group_id)
        return literal("deleted")


class GroupLookupController(Controller):
    """Find groups by name or by purpose."""

    @get("/group-by-name/{name:str}")
    async def get_group_by_name(
        self,
        request: Request[Any, Any, Any],
        name: FromPath[str],
        groups: NamedDependency[GroupService],
        access: NamedDependency[AccessService],
    ) -> GroupOut:
        group = await groups.get_by_name(name)
        await access.require(request.user, "group", group.id, "view")
        return GroupOut.from_domain(group)

    @get("/group-by-purpose/{purpose:str}")
    async def list_groups_by_purpose(
        self,
        request: Request[Any, Any, Any],
        purpose: FromPath[str],
        groups: NamedDependency[GroupService],
        access: NamedDependency[AccessService],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> list[GroupOut]:
        found = await groups.list_page(page_request(limit, cursor), purpose=purpose)
        return groups_out(await visible(access, request.user, "group", ((g.id, g) for g in found)))
