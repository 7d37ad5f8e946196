"""SnapshotHolder: the current reconciled Snapshot, swapped whole; read by routing and the API."""

from __future__ import annotations

from runtime.state.types import BackendState, Snapshot


class SnapshotHolder:
    """Holds the latest Snapshot; readers always see a complete, immutable one."""

    def __init__(self) -> None:
        self.current = Snapshot()

    def replace(self, snapshot: Snapshot) -> None:
        self.current = snapshot

    def backend(self, backend_id: str) -> BackendState | None:
        return self.current.backends.get(backend_id)

    def states(self) -> list[BackendState]:
        return list(self.current.backends.values())
