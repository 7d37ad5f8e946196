"""/state: the reconciled runtime state of every backend that is in at least one group."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from runtime.api.backends import BackendPlainOut, PulledModelOut
from runtime.api.base import ApiStruct
from runtime.state import BackendState, SnapshotHolder


class BackendStateOut(ApiStruct, omit_defaults=True):
    """One backend as the reconciliation loop last saw it (`error` only when there is one)."""

    id: str
    name: str
    models: list[str]
    pulled_models: list[PulledModelOut]
    backend: BackendPlainOut
    error: str | None = None

    @classmethod
    def from_domain(cls, state: BackendState) -> BackendStateOut:
        return cls(
            id=state.backend.id,
            name=state.backend.name,
            models=list(state.models),
            pulled_models=[PulledModelOut.from_domain(p) for p in state.pulled],
            backend=BackendPlainOut.from_domain(state.backend),
            error=state.error or None,
        )


class StateController(Controller):
    """The current snapshot."""

    @get("/state")
    async def list_state(self, snapshot: NamedDependency[SnapshotHolder]) -> list[BackendStateOut]:
        return [BackendStateOut.from_domain(state) for state in snapshot.grouped()]
