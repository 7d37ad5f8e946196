"""SnapshotHolder: the current reconciled Snapshot, swapped whole; read by routing and the API.

A full reconcile cycle and a re-observation of a few backends may overlap; each backend keeps
the state of its most recent observation, whichever finished last.
"""

from __future__ import annotations

import msgspec

from runtime.state.types import BackendState, Snapshot


class SnapshotHolder:
    """Holds the latest Snapshot; readers always see a complete, immutable one."""

    def __init__(self) -> None:
        self.current = Snapshot()
        self._observed: dict[str, float] = {}  # backend id -> start of its newest observation

    def replace(self, snapshot: Snapshot, *, observed_since: float = float("-inf")) -> None:
        """Publish a whole cycle; backends observed again after `observed_since` keep that."""
        backends = dict(snapshot.backends)
        for backend_id, state in snapshot.backends.items():
            if self._observed.get(backend_id, float("-inf")) > observed_since:
                backends[backend_id] = self.current.backends.get(backend_id, state)
            else:
                self._observed[backend_id] = observed_since
        self._observed = {key: self._observed[key] for key in backends}
        self.current = msgspec.structs.replace(snapshot, backends=backends)

    def patch(self, states: dict[str, BackendState], *, observed_since: float) -> None:
        """Publish fresh states of some backends (observed from `observed_since` on)."""
        fresh = {
            backend_id: state
            for backend_id, state in states.items()
            if self._observed.get(backend_id, float("-inf")) <= observed_since
        }
        if fresh:
            self.current = msgspec.structs.replace(
                self.current, backends=self.current.backends | fresh
            )
            self._observed |= dict.fromkeys(fresh, observed_since)

    def backend(self, backend_id: str) -> BackendState | None:
        return self.current.backends.get(backend_id)

    def states(self) -> list[BackendState]:
        return list(self.current.backends.values())

    def grouped(self) -> list[BackendState]:
        """The states of backends that are in at least one group (what `/state` lists)."""
        return [state for state in self.current.backends.values() if state.groups]
