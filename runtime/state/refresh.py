"""Refresher: observes some backends again now, between reconcile cycles, and patches the snapshot.

Used when a pull finishes (the model is routable at once) and when routing finds nobody for a
declared model (another replica may have pulled it). Concurrent misses for one model share one
re-observation, and a model is re-observed at most once per `min_interval`. Does I/O: the
database (declarations, the pull queue) and backends (through the observer).
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable

from runtime.affinity import store as affinity_store
from runtime.cache import TtlCache
from runtime.db import Database
from runtime.downloads import store as downloads_store
from runtime.registry import store as registry_store
from runtime.state.names import canonical
from runtime.state.observe import Observer
from runtime.state.reconcile import plan
from runtime.state.snapshot import SnapshotHolder
from runtime.state.types import BackendState, Declared, ModelFacts, PullFact

_SUGGESTED_FROM = 10_000  # declared names compared with a missing one, at most
_SUGGESTIONS = 3


def spellings(model: str) -> list[str]:
    """The names a model may be declared or queued under (`m`, `m:latest`)."""
    full = canonical(model)
    return sorted({model, full, full.removesuffix(":latest")})


class Refresher:
    """Re-observes backends on demand; single-flight per model."""

    def __init__(
        self,
        db: Database,
        observer: Observer,
        holder: SnapshotHolder,
        *,
        min_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._observer = observer
        self._holder = holder
        self._clock = clock
        self._facts: TtlCache[str, ModelFacts] = TtlCache(min_interval, clock=clock)

    def forget(self) -> None:
        """Drop what is known about models: the registry changed (a model was just declared)."""
        self._facts.forget()

    async def backend(self, backend_id: str) -> None:
        """Observe one backend again (after a pull onto it finished)."""
        async with self._db.transaction() as session:
            declared = [
                Declared(backend=backend, groups=groups, models=models)
                for backend, groups, models in await affinity_store.list_declarations(session)
                if backend.id == backend_id
            ]
        await self._observe(declared)

    async def model(self, model: str) -> ModelFacts:
        """Observe again the backends sharing a group with `model`; what is known about it."""
        return await self._facts.get(canonical(model), self._load)

    async def _load(self, wanted: str) -> ModelFacts:
        names = spellings(wanted)
        async with self._db.transaction() as session:
            if not await registry_store.find_model_names(session, names):
                known = await registry_store.list_model_names(session, _SUGGESTED_FROM)
                return ModelFacts(model=wanted, declared=False, similar=_similar(wanted, known))
            declared = [
                Declared(backend=backend, groups=groups, models=models)
                for backend, groups, models in await affinity_store.list_declarations(session)
                if any(canonical(m.model) == wanted for m in models)
            ]
        states = await self._observe(declared)
        async with self._db.transaction() as session:
            jobs = await downloads_store.list_model_jobs(session, names)
        pulls = {
            job.backend_id: PullFact(
                status=job.status.value, error=job.error, total=job.total, completed=job.completed
            )
            for job in jobs
        }
        return ModelFacts(model=wanted, declared=True, states=tuple(states), pulls=pulls)

    async def _observe(self, declared: list[Declared]) -> list[BackendState]:
        if not declared:
            return []
        since = self._clock()
        observed = await self._observer.observe(declared)
        states = {
            item.backend.id: plan(item, observed[item.backend.id], prune=False)[0]
            for item in declared
        }
        self._holder.patch(states, observed_since=since)
        return [self._holder.backend(key) or state for key, state in states.items()]


def _similar(wanted: str, known: list[str]) -> tuple[str, ...]:
    by_canonical = {canonical(name): name for name in known}
    close = difflib.get_close_matches(wanted, list(by_canonical), n=_SUGGESTIONS, cutoff=0.6)
    return tuple(by_canonical[name] for name in close)
