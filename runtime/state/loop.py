"""ReconcileLoop: declared state from the database, observed state from backends, then act.

Runs periodically and on demand (`trigger()` after registry changes); `run_once` is one cycle.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from runtime import errors
from runtime.affinity import store as affinity_store
from runtime.background import wait_any
from runtime.db import Database
from runtime.state.observe import Observer
from runtime.state.reconcile import plan
from runtime.state.snapshot import SnapshotHolder
from runtime.state.types import Declared, PullModel, RemoveModel, Snapshot

log = logging.getLogger("runtime.state")
Enqueue = Callable[[list[tuple[str, str, str]]], Awaitable[int]]


class ReconcileLoop:
    """Keeps the snapshot true and asks for the pulls that make backends match their groups."""

    def __init__(
        self,
        db: Database,
        observer: Observer,
        holder: SnapshotHolder,
        enqueue: Enqueue,
        *,
        interval: float,
        prune: bool,
    ) -> None:
        self._db = db
        self._observer = observer
        self._holder = holder
        self._enqueue = enqueue
        self._interval = interval
        self._prune = prune
        self._wake = asyncio.Event()

    def trigger(self) -> None:
        """Run a cycle as soon as possible (after a registry change)."""
        self._wake.set()

    async def run_once(self) -> Snapshot:
        await self._observer.driver.refresh_keys()
        async with self._db.transaction() as session:
            declared = [
                Declared(backend=backend, groups=groups, models=models)
                for backend, groups, models in await affinity_store.list_declarations(session)
            ]
        observed = await self._observer.observe(declared)
        states = {}
        pulls: list[tuple[str, str, str]] = []
        removals: list[RemoveModel] = []
        for item in declared:
            state, actions = plan(item, observed[item.backend.id], prune=self._prune)
            states[item.backend.id] = state
            for action in actions:
                if isinstance(action, PullModel):
                    pulls.append((action.backend.id, action.backend.base_url, action.model))
                else:
                    removals.append(action)
        snapshot = Snapshot(backends=states, taken_at=datetime.now(UTC))
        self._holder.replace(snapshot)
        if pulls:
            await self._enqueue(pulls)
        await asyncio.gather(*(self._remove(action) for action in removals))
        return snapshot

    async def _remove(self, action: RemoveModel) -> None:
        try:
            await self._observer.driver(action.backend).delete(action.model)
        except errors.Error as exc:
            log.warning("could not prune %s from %s: %s", action.model, action.backend.name, exc)
        else:
            log.info("pruned undeclared %s from %s", action.model, action.backend.name)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()
            await self.run_once()
            await wait_any(stop, self._wake, seconds=self._interval)
