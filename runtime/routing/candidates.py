"""Pure: the routes a request may take, read off a reconcile snapshot.

A served model has capabilities only when a group of its backend declares it, so a route
exists only where backend and model share a group and the backend serves the model now.
"""

from __future__ import annotations

from runtime.providers.messages import Capabilities
from runtime.routing.types import Capability, Route, RouteRequest
from runtime.state.names import canonical
from runtime.state.types import Snapshot


def _capable(caps: Capabilities, needs: frozenset[Capability]) -> bool:
    checks = {
        Capability.CHAT: caps.can_chat,
        Capability.PROMPT: caps.can_prompt,
        Capability.EMBED: caps.can_embed,
        Capability.STREAM: caps.can_stream,
    }
    return all(checks[need] for need in needs)


def candidates(
    snapshot: Snapshot, request: RouteRequest, reach: frozenset[tuple[str, str]] | None = None
) -> list[Route]:
    """Every healthy (backend, served model) pair that can serve the request.

    With `reach` (`(backend id, canonical model)` pairs), only the pairs inside it.
    """
    wanted = canonical(request.model)
    found = []
    for state in snapshot.backends.values():
        if state.error or not state.groups:
            continue
        if request.provider and state.backend.type != request.provider:
            continue
        if reach is not None and (state.backend.id, wanted) not in reach:
            continue
        for pulled in state.pulled:
            caps = pulled.capabilities
            if canonical(pulled.served.name) != wanted or not _capable(caps, request.needs):
                continue
            if request.min_context and caps.context_length < request.min_context:
                continue
            found.append(
                Route(
                    backend=state.backend,
                    model=pulled.served.name,
                    context_length=caps.context_length,
                )
            )
    return found


def passed_over(
    snapshot: Snapshot,
    request: RouteRequest,
    found: list[Route],
    reach: frozenset[tuple[str, str]] | None = None,
) -> list[tuple[str, str]]:
    """Why each backend without a route in `found` offers none (for the activity record)."""
    chosen = {route.backend.id for route in found}
    wanted = canonical(request.model)
    reasons = []
    for state in snapshot.backends.values():
        if state.backend.id in chosen:
            continue
        if reach is not None and (state.backend.id, wanted) not in reach:
            why = "outside the groups the caller's key may use"
        elif state.error:
            why = f"unusable: {state.error}"
        elif not state.groups:
            why = "in no group"
        elif request.provider and state.backend.type != request.provider:
            why = f"not a {request.provider} backend"
        elif not any(canonical(p.served.name) == wanted for p in state.pulled):
            why = "does not serve the model (or shares no group with it)"
        else:
            why = "its model lacks a needed capability or context length"
        reasons.append((state.backend.name, why))
    return reasons
