"""Pure: what an identity may do to a resource, from access-control entries.

Permissions rank `none < view < edit < manage`. The rule, for a principal that is not an
admin: walk from the resource up through its parents (`parent`, given by the caller: files
and folders inherit from their folder); the nearest resource that has any entries decides,
and there the principal needs an entry of at least the needed permission. A resource with no
entries anywhere up its chain is governed by scopes alone (what the route's scope allows).
A resource that belongs to someone (a chat, to its creator) is different: its owner may do
anything with it, and anyone else needs an entry on it (no entry: no access, whatever the
scopes). Admins (the token, admin keys and users) may do anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

import msgspec

from runtime.identity.types import Principal

PERMISSIONS: tuple[str, ...] = ("none", "view", "edit", "manage")
RESOURCE_TYPES: tuple[str, ...] = ("folder", "file", "chain", "chat", "group")
RANK = {name: rank for rank, name in enumerate(PERMISSIONS)}
MAX_DEPTH = 64  # parents followed at most (a cycle in the caller's data ends here)

Resource = tuple[str, str]  # (resource type, resource id)
Parent = Callable[[Resource], Resource | None]


class AccessEntry(msgspec.Struct, frozen=True, kw_only=True):
    """`identity` (a user or key id) holds `permission` on `resource` of `resource_type`."""

    id: str
    identity: str
    resource: str
    resource_type: str
    permission: str
    created_at: datetime
    updated_at: datetime


def no_parent(_: Resource) -> Resource | None:
    return None


def decide(
    who: Principal,
    resource: Resource,
    needed: str,
    entries: Mapping[Resource, Mapping[str, str]],
    parent: Parent = no_parent,
    *,
    owner: str | None = None,
) -> bool:
    """Whether `who` may act with `needed` on `resource` (`entries`: identity -> permission).

    With `owner`, the resource is owned: only `entries` on the resource itself are read.
    """
    if who.allows("admin") or (owner is not None and who.id == owner):
        return True
    if owner is not None:
        entry = entries.get(resource, {}).get(who.id, "none")
        return RANK.get(entry, 0) >= RANK[needed]
    current: Resource | None = resource
    for _ in range(MAX_DEPTH):
        if current is None:
            return True
        held = entries.get(current)
        if held:
            return RANK.get(held.get(who.id, "none"), 0) >= RANK[needed]
        current = parent(current)
    return False
