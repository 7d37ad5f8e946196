"""Pure: the order in which to try routes: least requests in flight first, random among equals.

Routes to cooling backends go last: used only when nothing healthy is left.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping

from runtime.routing.types import Route


def order(
    routes: list[Route],
    in_flight: Mapping[str, int],
    cooling: Callable[[str], bool],
    rng: random.Random,
) -> list[Route]:
    keyed = [
        (cooling(r.backend.id), in_flight.get(r.backend.id, 0), rng.random(), n)
        for n, r in enumerate(routes)
    ]
    keyed.sort()
    return [routes[key[3]] for key in keyed]
