"""Visibility: the current caller's `View` of the file tree, built from its access entries.

Costs nothing for an admin or when no folder or file has entries (then no query is made); else
one cached read of the entries and one query for the paths of the nodes they name.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from runtime.db import Database
from runtime.identity import caller
from runtime.identity.acl import AccessService
from runtime.identity.types import Principal
from runtime.knowledge import store
from runtime.knowledge.visibility import KINDS, View, current, viewing


class Visibility:
    """Builds the current caller's `View` of the tree."""

    def __init__(self, db: Database, access: AccessService) -> None:
        self._db = db
        self._access = access

    async def view(self, who: Principal | None) -> View | None:
        """`who`'s view; None (no query at all) for an admin or a tree without entries."""
        if who is None or who.allows("admin"):
            return None
        governed = await self._access.governed(*KINDS)
        if not governed:
            return None
        async with self._db.read() as session:
            nodes = await store.paths_of(session, [resource for _, resource in governed])
        entries = {
            ("path", nodes[resource][1]): held
            for (kind, resource), held in governed.items()
            if resource in nodes and nodes[resource][0] == kind
        }
        return View(who, entries) if entries else None

    @asynccontextmanager
    async def applied(self) -> AsyncIterator[View | None]:
        """Filter what runs inside by the current caller's view (kept if one is set already)."""
        found = current()
        if found is not None:
            yield found
            return
        view = await self.view(caller.current())
        with viewing(view):
            yield view
