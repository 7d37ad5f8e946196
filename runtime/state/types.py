"""Domain data of the reconciled runtime state: what each backend really serves."""

from __future__ import annotations

from datetime import datetime

import msgspec

from runtime.providers.messages import Capabilities, ServedModel
from runtime.registry.types import Backend, Model


class Declared(msgspec.Struct, frozen=True, kw_only=True):
    """A backend in at least one group, with the union of its groups' models and groups."""

    backend: Backend
    models: tuple[Model, ...]
    groups: frozenset[str]


class Observation(msgspec.Struct, frozen=True, kw_only=True):
    """What one backend answered this cycle: its served models, or why it could not say."""

    served: tuple[ServedModel, ...] = ()
    error: str = ""


class PulledModel(msgspec.Struct, frozen=True, kw_only=True):
    """A model present on a backend, with the capabilities routing may use (zero if undeclared)."""

    served: ServedModel
    capabilities: Capabilities


class BackendState(msgspec.Struct, frozen=True, kw_only=True):
    """The reconciled state of one backend; a non-empty `error` makes it unroutable."""

    backend: Backend
    groups: frozenset[str]
    models: tuple[str, ...]
    pulled: tuple[PulledModel, ...]
    error: str = ""


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    """Every grouped backend's state at one moment; replaced whole, never mutated."""

    backends: dict[str, BackendState] = msgspec.field(default_factory=dict)
    taken_at: datetime | None = None


class PullModel(msgspec.Struct, frozen=True, kw_only=True):
    """Action: pull `model` onto the backend."""

    backend: Backend
    model: str


class RemoveModel(msgspec.Struct, frozen=True, kw_only=True):
    """Action: delete an undeclared `model` from the backend (only when pruning is on)."""

    backend: Backend
    model: str


class PullFact(msgspec.Struct, frozen=True, kw_only=True):
    """Where the pull of a model onto one backend stands (from the download queue)."""

    status: str
    error: str = ""
    total: int = 0
    completed: int = 0


class ModelFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What is known about a model nobody could serve: to say why, or to try again."""

    model: str
    declared: bool
    states: tuple[BackendState, ...] = ()  # the backends sharing a group with the model
    pulls: dict[str, PullFact] = msgspec.field(default_factory=dict)  # by backend id
    similar: tuple[str, ...] = ()  # declared names close to `model` when it is not declared
