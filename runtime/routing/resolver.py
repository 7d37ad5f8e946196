"""Resolver: the routes to try for a request, in order, from the current snapshot and health."""

from __future__ import annotations

import random

from runtime import errors
from runtime.routing.candidates import candidates
from runtime.routing.health import Health
from runtime.routing.policy import order
from runtime.routing.types import Route, RouteRequest
from runtime.state.names import canonical
from runtime.state.snapshot import SnapshotHolder

MAX_ATTEMPTS = 2  # the first choice, then one other candidate


class Resolver:
    """Chooses routes; never outside the model's groups (see `candidates`)."""

    def __init__(self, holder: SnapshotHolder, health: Health, rng: random.Random) -> None:
        self._holder = holder
        self.health = health
        self._rng = rng

    def routes(self, request: RouteRequest) -> list[Route]:
        """At most MAX_ATTEMPTS routes, best first; UnavailableError when there is none."""
        found = candidates(self._holder.current, request)
        if not found:
            raise errors.UnavailableError(self._nothing(request), param="model")
        ordered = order(found, self.health.in_flight, self.health.cooling, self._rng)
        return ordered[:MAX_ATTEMPTS]

    def _nothing(self, request: RouteRequest) -> str:
        wanted = canonical(request.model)
        declaring = [
            state
            for state in self._holder.states()
            if any(canonical(name) == wanted for name in state.models)
        ]
        needs = ", ".join(sorted(request.needs))
        if not declaring:
            return (
                f"no backend can serve model {request.model!r}: it is not declared in any "
                "group that has a backend"
            )
        groups = sorted({group for state in declaring for group in state.groups})
        return (
            f"no backend can serve model {request.model!r} ({needs}"
            + (f", context >= {request.min_context}" if request.min_context > 1 else "")
            + f") right now: searched {len(declaring)} backends in groups {groups}"
        )
