"""Reconciliation: what is declared versus what backends actually serve."""

from runtime.state.snapshot import SnapshotHolder
from runtime.state.types import BackendState, PulledModel, Snapshot

__all__ = ["BackendState", "PulledModel", "Snapshot", "SnapshotHolder"]
