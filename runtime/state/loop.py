"""ReconcileLoop: declared state from the database, observed state from backends, then act.

Runs periodically and on demand (`trigger()` after registry changes); `run_once` is one cycle.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from runtime import errors
from runtime.affinity import store as affinity_store
from runtime.background import wait_any
from runtime.db import Database
from runtime.observability import metrics
from runtime.registry import store as registry_store
from runtime.state.observe import Observer
from runtime.state.reconcile import plan
from runtime.state.snapshot import SnapshotHolder
from runtime.state.types import BackendState, Declared, PullModel, RemoveModel, Snapshot

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
        self._ops = observer.operations

    def trigger(self) -> None:
        """Run a cycle as soon as possible (after a registry change)."""
        self._wake.set()

    async def run_once(self) -> Snapshot:
        """One cycle, recorded as a `reconcile` operation and in the cycle metrics."""
        started = time.perf_counter()
        try:
            snapshot = await self._cycle()
        except Exception as exc:
            seconds = time.perf_counter() - started
            self._ops.record("reconcile", "cycle", ok=False, seconds=seconds, error=str(exc))
            metrics.reconcile_duration.observe(seconds)
            raise
        seconds = time.perf_counter() - started
        metrics.reconcile_duration.observe(seconds)
        failing = sum(1 for state in snapshot.backends.values() if state.error)
        self._ops.record(
            "reconcile",
            "cycle",
            ok=True,
            seconds=seconds,
            backends=len(snapshot.backends),
            unusable=failing,
        )
        return snapshot

    async def _cycle(self) -> Snapshot:
        await self._observer.driver.refresh_keys()
        async with self._db.transaction() as session:
            declared = [
                Declared(backend=backend, groups=groups, models=models)
                for backend, groups, models in await affinity_store.list_declarations(session)
            ]
            grouped = {item.backend.id for item in declared}
            # backends in no group are observed too, so a wrong URL shows before it is grouped
            declared += [
                Declared(backend=backend, groups=frozenset(), models=())
                for backend in await registry_store.list_all_backends(session)
                if backend.id not in grouped
            ]
        since = time.monotonic()
        observed = await self._observer.observe(declared)
        states = {}
        pulls: list[tuple[str, str, str]] = []
        removals: list[RemoveModel] = []
        for item in declared:
            seen = observed[item.backend.id]
            if not item.groups:  # nothing is declared for it: no pulls, no pruning, no routes
                states[item.backend.id] = BackendState(
                    backend=item.backend, groups=item.groups, models=(), pulled=(), error=seen.error
                )
                continue
            state, actions = plan(item, seen, prune=self._prune)
            states[item.backend.id] = state
            for action in actions:
                if isinstance(action, PullModel):
                    pulls.append((action.backend.id, action.backend.base_url, action.model))
                else:
                    removals.append(action)
        self._warn(states)
        snapshot = Snapshot(backends=states, taken_at=datetime.now(UTC))
        self._holder.replace(snapshot, observed_since=since)
        if pulls:
            await self._enqueue(pulls)
        await asyncio.gather(*(self._remove(action) for action in removals))
        return snapshot

    def _warn(self, states: dict[str, BackendState]) -> None:
        """Log each backend's problem once, when it first shows or changes; record each cycle's.

        An `observe` operation is recorded for every failed observation and for the first good
        one after a failure (so the alert rules see a streak end), not for every good one.
        """
        for backend_id, state in states.items():
            before = self._holder.backend(backend_id)
            name = state.backend.name
            if state.error:
                metrics.child(metrics.reconcile_errors, name).inc()
                self._ops.record("observe", name, ok=False, error=state.error)
            elif before is None or before.error:
                self._ops.record("observe", name, ok=True)
            if state.error and (before is None or before.error != state.error):
                log.warning(
                    "backend %s (%s, %s) is unusable: %s",
                    state.backend.name,
                    state.backend.type.value,
                    state.backend.base_url,
                    state.error,
                )

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
