"""Resolver: the routes to try for a request, in order, from the current snapshot and health.

A miss for a model asks `recheck` (re-observe its backends, single-flight) before it fails,
and the failure says why (see `refusal`).
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

from runtime.observability.record import current
from runtime.routing.candidates import candidates, passed_over
from runtime.routing.health import Health
from runtime.routing.policy import order
from runtime.routing.refusal import refusal
from runtime.routing.types import Route, RouteRequest
from runtime.state import catalog
from runtime.state.catalog import Offer
from runtime.state.names import canonical
from runtime.state.snapshot import SnapshotHolder
from runtime.state.types import ModelFacts

MAX_ATTEMPTS = 2  # the first choice, then one other candidate
Recheck = Callable[[str], Awaitable[ModelFacts]]


class Resolver:
    """Chooses routes; never outside the model's groups (see `candidates`)."""

    def __init__(
        self,
        holder: SnapshotHolder,
        health: Health,
        rng: random.Random,
        recheck: Recheck | None = None,
    ) -> None:
        self._holder = holder
        self.health = health
        self._rng = rng
        self._recheck = recheck or self._from_snapshot

    async def routes(self, request: RouteRequest) -> list[Route]:
        """At most MAX_ATTEMPTS routes, best first; an error naming the cause when none.

        Within a request, its activity record learns why each other backend was passed over.
        """
        found = candidates(self._holder.current, request)
        if not found:
            facts = await self._recheck(request.model)
            found = candidates(self._holder.current, request)
            if not found:
                self._note(request, found, [])
                raise refusal(request, facts)
        ordered = order(found, self.health.in_flight, self.health.cooling, self._rng)
        self._note(request, found, ordered[MAX_ATTEMPTS:])
        return ordered[:MAX_ATTEMPTS]

    def _note(self, request: RouteRequest, found: list[Route], untried: list[Route]) -> None:
        """Tell the request's activity record why the other backends were passed over."""
        record = current.get()
        if record is None:
            return
        record.skipped = passed_over(self._holder.current, request, found)
        record.skipped += [
            (route.backend.name, "not tried: a request tries at most two backends")
            for route in untried
        ]

    def offers(self) -> list[Offer]:
        """The models that can be served now (see `state.catalog`)."""
        return catalog.offers(self._holder.current)

    def offer(self, model: str) -> Offer:
        """One model that can be served now, by any spelling; `ModelNotFoundError` if none."""
        return catalog.offer(self._holder.current, model)

    async def _from_snapshot(self, model: str) -> ModelFacts:
        """What the snapshot alone says (no re-observation, no registry)."""
        wanted = canonical(model)
        states = tuple(
            state
            for state in self._holder.states()
            if any(canonical(name) == wanted for name in state.models)
        )
        return ModelFacts(model=model, declared=True, states=states)
