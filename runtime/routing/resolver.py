"""Resolver: the routes to try for a request, in order, from the current snapshot and health.

A miss for a model asks `recheck` (re-observe its backends, single-flight) before it fails,
and the failure says why (see `refusal`).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Awaitable, Callable

from runtime import errors
from runtime.observability.record import current
from runtime.routing.candidates import candidates, passed_over
from runtime.routing.health import Health
from runtime.routing.policy import order
from runtime.routing.reach import Confinement
from runtime.routing.refusal import refusal
from runtime.routing.types import Route, RouteRequest
from runtime.state import catalog
from runtime.state.catalog import Offer
from runtime.state.names import canonical
from runtime.state.snapshot import SnapshotHolder
from runtime.state.types import ModelFacts, Snapshot

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
        confinement: Confinement | None = None,
    ) -> None:
        self._holder = holder
        self.health = health
        self._rng = rng
        self._recheck = recheck or self._from_snapshot
        self._confinement = confinement

    def _reach(self) -> frozenset[tuple[str, str]] | None:
        return None if self._confinement is None else self._confinement.current()

    async def routes(self, request: RouteRequest) -> list[Route]:
        """At most MAX_ATTEMPTS routes, best first; an error naming the cause when none.

        A model outside the caller's reach is not found, as if it did not exist. Within a
        request, its activity record learns why each other backend was passed over.
        """
        reach = self._reach()
        if reach is not None:
            wanted = canonical(request.model)
            if not any(model == wanted for _, model in reach):
                raise errors.ModelNotFoundError(f"model '{request.model}' not found", param="model")
        found = candidates(self._holder.current, request, reach)
        if not found:
            facts = await self._recheck(request.model)
            found = candidates(self._holder.current, request, reach)
            if not found:
                self._note(request, found, [], reach)
                raise refusal(request, facts)
        ordered = order(found, self.health.in_flight, self.health.cooling, self._rng)
        self._note(request, found, ordered[MAX_ATTEMPTS:], reach)
        return ordered[:MAX_ATTEMPTS]

    def _note(
        self,
        request: RouteRequest,
        found: list[Route],
        untried: list[Route],
        reach: frozenset[tuple[str, str]] | None,
    ) -> None:
        """Tell the request's activity record why the other backends were passed over.

        The reasons are worked out if the record is read (the snapshot is immutable).
        """
        record = current.get()
        if record is not None:
            record.passed_over = functools.partial(
                _passed_over, self._holder.current, request, found, untried, reach
            )

    def offers(self) -> list[Offer]:
        """The models that can be served now (see `state.catalog`)."""
        return catalog.offers(self._holder.current, self._reach())

    def offer(self, model: str) -> Offer:
        """One model that can be served now, by any spelling; `ModelNotFoundError` if none."""
        return catalog.offer(self._holder.current, model, self._reach())

    async def _from_snapshot(self, model: str) -> ModelFacts:
        """What the snapshot alone says (no re-observation, no registry)."""
        wanted = canonical(model)
        states = tuple(
            state
            for state in self._holder.states()
            if any(canonical(name) == wanted for name in state.models)
        )
        return ModelFacts(model=model, declared=True, states=states)


def _passed_over(
    snapshot: Snapshot,
    request: RouteRequest,
    found: list[Route],
    untried: list[Route],
    reach: frozenset[tuple[str, str]] | None,
) -> list[tuple[str, str]]:
    untried_reason = "not tried: a request tries at most two backends"
    return passed_over(snapshot, request, found, reach) + [
        (route.backend.name, untried_reason) for route in untried
    ]
