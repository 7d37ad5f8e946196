"""Pure: the models that can be served now, read off a snapshot, one entry per model name.

A model is offered when a reachable backend serves it and one of the backend's groups declares
it (the same rule routing follows, so a listed model is one a request can reach). Names are
compared in canonical form (`m` is `m:latest`); an entry shows the first backend's facts, by
backend name, and the union of what the backends serving it can do.
"""

from __future__ import annotations

import msgspec

from runtime import errors
from runtime.providers.messages import Capabilities, ServedModel
from runtime.state.names import canonical
from runtime.state.types import Snapshot


class Offer(msgspec.Struct, frozen=True, kw_only=True):
    """A model a request can be routed to now, and the kinds of backend that serve it.

    `name` is the model as a group declares it (`m`), `served.name` as the backend has it.
    """

    name: str
    served: ServedModel
    capabilities: Capabilities
    kinds: tuple[str, ...]


def offers(snapshot: Snapshot, reach: frozenset[tuple[str, str]] | None = None) -> list[Offer]:
    """Every model offered now, by name.

    With `reach` (`(backend id, canonical model)` pairs), only what is served inside it.
    """
    found: dict[str, Offer] = {}
    states = sorted(snapshot.backends.values(), key=lambda state: state.backend.name)
    for state in states:
        if state.error or not state.groups:
            continue
        kind = state.backend.type.value
        declared = {canonical(name): name for name in state.models}
        for pulled in state.pulled:
            caps = pulled.capabilities
            if not (caps.can_chat or caps.can_prompt or caps.can_embed):
                continue  # served, but declared in none of the backend's groups
            key = canonical(pulled.served.name)
            if reach is not None and (state.backend.id, key) not in reach:
                continue
            known = found.get(key)
            if known is None:
                name = declared.get(key, pulled.served.name)
                found[key] = Offer(
                    name=name, served=pulled.served, capabilities=caps, kinds=(kind,)
                )
            else:
                found[key] = _joined(known, caps, kind)
    return sorted(found.values(), key=lambda offer: offer.served.name)


def offer(snapshot: Snapshot, model: str, reach: frozenset[tuple[str, str]] | None = None) -> Offer:
    """The offer of `model`; `ModelNotFoundError` when nobody serves it now (inside `reach`)."""
    wanted = canonical(model)
    for entry in offers(snapshot, reach):
        if canonical(entry.served.name) == wanted:
            return entry
    raise errors.ModelNotFoundError(f"model '{model}' not found", param="model")


def _joined(known: Offer, caps: Capabilities, kind: str) -> Offer:
    mine = known.capabilities
    both = Capabilities(
        context_length=max(mine.context_length, caps.context_length),
        can_chat=mine.can_chat or caps.can_chat,
        can_embed=mine.can_embed or caps.can_embed,
        can_prompt=mine.can_prompt or caps.can_prompt,
        can_stream=mine.can_stream or caps.can_stream,
    )
    kinds = known.kinds if kind in known.kinds else (*known.kinds, kind)
    return msgspec.structs.replace(known, capabilities=both, kinds=kinds)
