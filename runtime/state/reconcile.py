"""Pure reconciliation: declared models + what a backend serves -> its state and the actions.

No I/O: the loop observes, calls `plan`, and applies the actions.
"""

from __future__ import annotations

from runtime.providers.messages import Capabilities
from runtime.registry.types import BackendKind, Model
from runtime.state.names import canonical
from runtime.state.types import (
    BackendState,
    Declared,
    Observation,
    PulledModel,
    PullModel,
    RemoveModel,
)

Action = PullModel | RemoveModel
_NONE = Capabilities()


def plan(
    declared: Declared, seen: Observation, *, prune: bool
) -> tuple[BackendState, list[Action]]:
    """The state to publish for one backend and the actions that move it towards its groups."""
    names = tuple(sorted(model.model for model in declared.models))
    if seen.error:
        return _state(declared, names, (), seen.error), []
    wanted = {canonical(model.model): model for model in declared.models}
    served = {canonical(model.name): model for model in seen.served}
    pulled = tuple(
        PulledModel(served=model, capabilities=_merge(wanted.get(key), model.capabilities))
        for key, model in sorted(served.items())
    )
    kind = declared.backend.type
    actions: list[Action] = []
    error = ""
    if kind is BackendKind.OLLAMA:
        actions += [
            PullModel(backend=declared.backend, model=model.model)
            for key, model in sorted(wanted.items())
            if key not in served
        ]
        if prune:
            actions += [
                RemoveModel(backend=declared.backend, model=model.name)
                for key, model in sorted(served.items())
                if key not in wanted
            ]
    elif wanted and not wanted.keys() & served.keys():
        error = (
            f"none of the declared models is served: declared {sorted(wanted)}, "
            f"served {sorted(served)[:20]}"
        )
    return _state(declared, names, pulled, error), actions


def _state(
    declared: Declared, names: tuple[str, ...], pulled: tuple[PulledModel, ...], error: str
) -> BackendState:
    return BackendState(
        backend=declared.backend,
        groups=declared.groups,
        models=names,
        pulled=pulled,
        error=error,
    )


def _merge(model: Model | None, observed: Capabilities | None) -> Capabilities:
    """What routing may use: the declared capabilities, narrowed by what the backend reports."""
    if model is None:
        return _NONE
    if observed is None:
        observed = Capabilities(
            context_length=0, can_chat=True, can_embed=True, can_prompt=True, can_stream=True
        )
    context = model.context_length
    if observed.context_length:
        context = min(context, observed.context_length)
    return Capabilities(
        context_length=context,
        can_chat=model.can_chat and observed.can_chat,
        can_embed=model.can_embed and observed.can_embed,
        can_prompt=model.can_prompt and observed.can_prompt,
        can_stream=model.can_stream and observed.can_stream,
    )
