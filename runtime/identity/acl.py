"""AccessService: access-control entries stored, and `can` deciding with them.

Entries of a resource (and every entry of a kind of resource, for `governed`) are read at
most once a `ACCESS_TTL` per process (this process's own changes clear them at once), so a
check on every request costs a dictionary lookup.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from runtime import errors
from runtime.cache import TtlCache
from runtime.db import Database
from runtime.identity import store
from runtime.identity.access import (
    PERMISSIONS,
    RANK,
    RESOURCE_TYPES,
    AccessEntry,
    Parent,
    Resource,
    decide,
    no_parent,
)
from runtime.identity.types import Principal
from runtime.paging import PageRequest

ACCESS_TTL = 1.0
_NAMES = {"chain": "task chain"}  # how a resource type is named in a 404


class AccessService:
    """Who may view, edit or manage which resource."""

    def __init__(
        self, db: Database, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._db = db
        self._clock = clock
        self._cache: TtlCache[Resource, dict[str, str]] = TtlCache(ACCESS_TTL, clock=time.monotonic)
        self._kinds: TtlCache[tuple[str, ...], dict[Resource, dict[str, str]]] = TtlCache(
            ACCESS_TTL, clock=time.monotonic
        )

    async def create(
        self, identity: str, resource_type: str, resource: str, permission: str
    ) -> AccessEntry:
        _validate(identity, resource_type, resource, permission)
        now = self._clock()
        entry = AccessEntry(
            id=str(uuid.uuid4()),
            identity=identity,
            resource=resource,
            resource_type=resource_type,
            permission=permission,
            created_at=now,
            updated_at=now,
        )
        async with self._db.transaction(on_commit=self._forget) as session:
            await store.create_entry(session, entry)
        return entry

    async def list_page(self, page: PageRequest, identity: str | None = None) -> list[AccessEntry]:
        async with self._db.transaction() as session:
            return await store.list_entries(session, page, identity)

    async def get(self, entry_id: str) -> AccessEntry:
        async with self._db.transaction() as session:
            return await store.get_entry(session, entry_id)

    async def update(self, entry_id: str, changes: dict[str, str]) -> AccessEntry:
        async with self._db.transaction(on_commit=self._forget) as session:
            current = await store.get_entry(session, entry_id)
            merged = {
                "identity": changes.get("identity") or current.identity,
                "resource_type": changes.get("resource_type") or current.resource_type,
                "resource": changes.get("resource") or current.resource,
                "permission": changes.get("permission") or current.permission,
            }
            _validate(**merged)
            return await store.update_entry(session, entry_id, merged, self._clock())

    async def delete(self, entry_id: str) -> None:
        async with self._db.transaction(on_commit=self._forget) as session:
            await store.delete_entry(session, entry_id)

    async def can(
        self,
        who: Principal,
        resource_type: str,
        resource: str,
        needed: str,
        parent: Parent = no_parent,
        *,
        owner: str | None = None,
    ) -> bool:
        """Whether `who` may act with `needed` on the resource (see `access.decide`).

        `owner`: the resource belongs to that identity (a chat to its creator).
        """
        if who.allows("admin") or (owner is not None and who.id == owner):
            return True
        key = (resource_type, resource)
        if owner is not None:
            held = await self._cache.get(key, self._load)
            return decide(who, key, needed, {key: held}, owner=owner)
        entries: dict[Resource, dict[str, str]] = {}
        current: Resource | None = (resource_type, resource)
        while current is not None and current not in entries and len(entries) < 64:  # noqa: PLR2004
            entries[current] = await self._cache.get(current, self._load)
            current = parent(current) if not entries[current] else None
        return decide(who, key, needed, entries, parent)

    async def require(
        self,
        who: Principal,
        resource_type: str,
        resource: str,
        needed: str,
        *,
        owner: str | None = None,
    ) -> None:
        """Refuse unless `who` may act with `needed` on the resource.

        One who may not even view it is told it does not exist (NotFoundError); one who may
        view it but not more, PermissionDeniedError.
        """
        if await self.can(who, resource_type, resource, needed, owner=owner):
            return
        if needed != "view" and await self.can(who, resource_type, resource, "view", owner=owner):
            raise errors.PermissionDeniedError(f"permission denied: this needs {needed!r} access")
        name = _NAMES.get(resource_type, resource_type)
        raise errors.NotFoundError(f"{name} {resource!r} not found", param="id")

    async def granted(self, identity: str, resource_type: str, needed: str = "view") -> list[str]:
        """The resources of `resource_type` an entry gives `identity` at least `needed` on."""
        enough = tuple(p for p in PERMISSIONS if RANK[p] >= RANK[needed])
        async with self._db.transaction() as session:
            return await store.resources_of(session, identity, resource_type, enough)

    async def governed(self, *resource_types: str) -> dict[Resource, dict[str, str]]:
        """Every resource of these types that has entries: identity -> permission on each."""
        return await self._kinds.get(resource_types, self._load_kinds)

    def _forget(self) -> None:
        self._cache.forget()
        self._kinds.forget()

    async def _load_kinds(self, resource_types: tuple[str, ...]) -> dict[Resource, dict[str, str]]:
        async with self._db.transaction() as session:
            return await store.entries_of_types(session, resource_types)

    async def _load(self, resource: Resource) -> dict[str, str]:
        async with self._db.transaction() as session:
            return await store.entries_on(session, *resource)


def _validate(identity: str, resource_type: str, resource: str, permission: str) -> None:
    if not identity.strip():
        raise errors.InvalidInputError("identity is required", param="identity")
    if not resource.strip():
        raise errors.InvalidInputError("resource is required", param="resource")
    if resource_type not in RESOURCE_TYPES:
        raise errors.InvalidInputError(
            f"resourceType must be one of {', '.join(RESOURCE_TYPES)}", param="resourceType"
        )
    if permission not in PERMISSIONS:
        raise errors.InvalidInputError(
            f"permission must be one of {', '.join(PERMISSIONS)}", param="permission"
        )
