"""Pure: the models that can be served right now, read off a reconcile snapshot.

What `/v1/models` and Ollama's `/api/tags` list: a model appears when at least one healthy
backend in a group that declares it serves it now (the same rule routing follows).
"""

from __future__ import annotations

import msgspec

from runtime.providers.messages import Capabilities, ServedModel
from runtime.state.names import canonical
from runtime.state.types import Snapshot


class Offered(msgspec.Struct, frozen=True, kw_only=True):
    """A model clients may ask for now, the backend kinds serving it, and what it can do."""

    name: str
    providers: tuple[str, ...]
    capabilities: Capabilities
    served: ServedModel


def _union(a: Capabilities, b: Capabilities) -> Capabilities:
    return Capabilities(
        context_length=max(a.context_length, b.context_length),
        can_chat=a.can_chat or b.can_chat,
        can_embed=a.can_embed or b.can_embed,
        can_prompt=a.can_prompt or b.can_prompt,
        can_stream=a.can_stream or b.can_stream,
    )


def _usable(caps: Capabilities) -> bool:
    return caps.can_chat or caps.can_embed or caps.can_prompt


def offered(snapshot: Snapshot) -> list[Offered]:
    """Every model routable now, once, sorted by name; named as its group declares it."""
    found: dict[str, Offered] = {}
    for state in snapshot.backends.values():
        if state.error or not state.groups:
            continue
        declared = {canonical(name): name for name in state.models}
        for pulled in state.pulled:
            key = canonical(pulled.served.name)
            if not _usable(pulled.capabilities):
                continue
            known = found.get(key)
            if known is None:
                found[key] = Offered(
                    name=declared.get(key, pulled.served.name),
                    providers=(state.backend.type,),
                    capabilities=pulled.capabilities,
                    served=pulled.served,
                )
                continue
            kinds = known.providers
            if state.backend.type not in kinds:
                kinds = (*kinds, state.backend.type)
            found[key] = msgspec.structs.replace(
                known, providers=kinds, capabilities=_union(known.capabilities, pulled.capabilities)
            )
    return sorted(found.values(), key=lambda entry: entry.name)


def find(snapshot: Snapshot, model: str) -> Offered | None:
    """The offered model named `model` (any spelling of it), or None."""
    wanted = canonical(model)
    return next((o for o in offered(snapshot) if canonical(o.name) == wanted), None)
