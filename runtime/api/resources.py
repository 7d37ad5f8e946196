"""Access control on resources addressed by a route: which routes act on which resource.

`RESOURCE_ROUTES` names, for each route that addresses one resource by a path parameter,
the resource type, the parameter and the permission it needs (see `runtime.identity.access`
for the rule). The guard checks them after the scope; a caller who may not even view the
resource is answered as if it did not exist (404), one who may view it but not more a 403.
Routes that read a resource's id elsewhere (a body, a list) call `AccessService.require` or
`visible`; a resource with an owner (a chat) is checked by its service.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from runtime.identity import Principal
from runtime.identity.acl import AccessService

T = TypeVar("T")

RESOURCE_ROUTES: dict[str, tuple[str, str, str]] = {
    "GET /taskchains/{chain_id}": ("chain", "chain_id", "view"),
    "PUT /taskchains/{chain_id}": ("chain", "chain_id", "edit"),
    "DELETE /taskchains/{chain_id}": ("chain", "chain_id", "manage"),
    "POST /openai/{chain_id}/v1/chat/completions": ("chain", "chain_id", "view"),
    "GET /openai/{chain_id}/v1/models": ("chain", "chain_id", "view"),
    "GET /groups/{group_id}": ("group", "group_id", "view"),
    "PUT /groups/{group_id}": ("group", "group_id", "edit"),
    "DELETE /groups/{group_id}": ("group", "group_id", "manage"),
    "GET /backend-affinity/{group_id}/backends": ("group", "group_id", "view"),
    "POST /backend-affinity/{group_id}/backends/{backend_id}": ("group", "group_id", "edit"),
    "DELETE /backend-affinity/{group_id}/backends/{backend_id}": ("group", "group_id", "edit"),
    "GET /model-affinity/{group_id}/models": ("group", "group_id", "view"),
    "POST /model-affinity/{group_id}/models/{model_id}": ("group", "group_id", "edit"),
    "DELETE /model-affinity/{group_id}/models/{model_id}": ("group", "group_id", "edit"),
}


async def visible(
    access: AccessService, who: Principal, resource_type: str, found: Iterable[tuple[str, T]]
) -> list[T]:
    """The items (by resource id) `who` may view."""
    return [item for key, item in found if await access.can(who, resource_type, key, "view")]
