"""The Driver protocol: what the runtime asks of every kind of LLM backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from runtime.providers.messages import Capabilities, PullProgress, ServedModel


class Driver(Protocol):
    """One backend's HTTP API behind the calls the runtime makes.

    Every method raises only `runtime.providers.errors` types (or other `runtime.errors`).
    """

    async def list_models(self) -> list[ServedModel]:
        """The models the backend serves now; a failure means the backend is unhealthy."""
        ...

    async def describe(self, model: ServedModel) -> Capabilities | None:
        """Capabilities and context length of one served model; None when the API cannot say."""
        ...

    def pull(self, model: str) -> AsyncIterator[PullProgress]:
        """Download a model onto the backend, reporting progress as it goes."""
        ...

    async def delete(self, model: str) -> None:
        """Remove a model from the backend."""
        ...
