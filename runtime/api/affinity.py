"""/backend-affinity and /model-affinity: which backends and models belong to which group."""

from __future__ import annotations

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from runtime.affinity import GroupService
from runtime.api.backends import BackendPlainOut
from runtime.api.base import literal
from runtime.api.groups import GroupOut, groups_out
from runtime.api.models import ModelOut


class BackendAffinityController(Controller):
    """Membership of backends in groups."""

    path = "/backend-affinity"

    @post("/{group_id:str}/backends/{backend_id:str}")
    async def assign_backend(
        self,
        group_id: FromPath[str],
        backend_id: FromPath[str],
        groups: NamedDependency[GroupService],
    ) -> Response[bytes]:
        await groups.assign_backend(group_id, backend_id)
        return literal("backend assigned", status_code=201)

    @delete("/{group_id:str}/backends/{backend_id:str}", status_code=200)
    async def unassign_backend(
        self,
        group_id: FromPath[str],
        backend_id: FromPath[str],
        groups: NamedDependency[GroupService],
    ) -> Response[bytes]:
        await groups.unassign_backend(group_id, backend_id)
        return literal("backend removed")

    @get("/{group_id:str}/backends")
    async def list_group_backends(
        self, group_id: FromPath[str], groups: NamedDependency[GroupService]
    ) -> list[BackendPlainOut]:
        return [BackendPlainOut.from_domain(b) for b in await groups.list_backends(group_id)]

    @get("/{group_id:str}/groups")
    async def list_backend_groups(
        self, group_id: FromPath[str], groups: NamedDependency[GroupService]
    ) -> list[GroupOut]:
        """`group_id` is the backend's id here; the router needs one name per position."""
        return groups_out(await groups.list_groups_of_backend(group_id))


class ModelAffinityController(Controller):
    """Membership of models in groups."""

    path = "/model-affinity"

    @post("/{group_id:str}/models/{model_id:str}", status_code=200)
    async def assign_model(
        self,
        group_id: FromPath[str],
        model_id: FromPath[str],
        groups: NamedDependency[GroupService],
    ) -> Response[bytes]:
        await groups.assign_model(group_id, model_id)
        return literal("model assigned")

    @delete("/{group_id:str}/models/{model_id:str}", status_code=200)
    async def unassign_model(
        self,
        group_id: FromPath[str],
        model_id: FromPath[str],
        groups: NamedDependency[GroupService],
    ) -> Response[bytes]:
        await groups.unassign_model(group_id, model_id)
        return literal("model removed")

    @get("/{group_id:str}/models")
    async def list_group_models(
        self, group_id: FromPath[str], groups: NamedDependency[GroupService]
    ) -> list[ModelOut]:
        return [ModelOut.from_domain(m) for m in await groups.list_models(group_id)]

    @get("/{group_id:str}/groups")
    async def list_model_groups(
        self, group_id: FromPath[str], groups: NamedDependency[GroupService]
    ) -> list[GroupOut]:
        """`group_id` is the model's id here; the router needs one name per position."""
        return groups_out(await groups.list_groups_of_model(group_id))
