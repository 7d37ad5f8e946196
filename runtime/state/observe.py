"""Ask every grouped backend what it serves, concurrently, each within its own time budget.

Does network I/O through drivers; one dead or slow backend never delays the others beyond
the timeout. Model descriptions are cached by (name, digest): the same model file has the
same capabilities on every backend, so a fleet describes each model once.
"""

from __future__ import annotations

import asyncio

import msgspec

from runtime import errors
from runtime.observability.ops import Operations
from runtime.providers.base import Driver
from runtime.providers.messages import Capabilities, ServedModel
from runtime.registry.types import Backend
from runtime.state.drivers import Drivers
from runtime.state.types import Declared, Observation

_DESCRIBE_CONCURRENCY = 32


class Observer:
    """Observes backends and remembers model descriptions."""

    def __init__(
        self, drivers: Drivers, *, timeout: float, operations: Operations | None = None
    ) -> None:
        self.driver = drivers
        self.operations = operations or Operations()  # where cycles and observations are told
        self._timeout = timeout
        self._described: dict[tuple[str, str], asyncio.Future[Capabilities | None]] = {}
        self._describing = asyncio.Semaphore(_DESCRIBE_CONCURRENCY)

    async def observe(self, declared: list[Declared]) -> dict[str, Observation]:
        seen = await asyncio.gather(*(self._observe_one(d.backend) for d in declared))
        return {d.backend.id: s for d, s in zip(declared, seen, strict=True)}

    async def _observe_one(self, backend: Backend) -> Observation:
        driver = self.driver(backend)
        try:
            async with asyncio.timeout(self._timeout):
                served = await driver.list_models()
        except TimeoutError:
            return Observation(error=f"backend did not answer within {self._timeout:g}s")
        except errors.Error as exc:
            return Observation(error=exc.message)
        described = await asyncio.gather(*(self._describe(driver, model) for model in served))
        return Observation(served=tuple(described))

    async def _describe(self, driver: Driver, model: ServedModel) -> ServedModel:
        """The model with its capabilities; unknown (None) when the backend cannot say now."""
        if model.capabilities is not None:
            return model
        key = (model.name, model.digest)
        pending = self._described.get(key)
        if pending is None or (pending.done() and pending.result() is None):
            pending = asyncio.ensure_future(self._ask(driver, model))
            if model.digest:  # concurrent observers of the same model wait for one answer
                self._described[key] = pending
        found = await asyncio.shield(pending)
        return msgspec.structs.replace(model, capabilities=found)

    async def _ask(self, driver: Driver, model: ServedModel) -> Capabilities | None:
        async with self._describing:
            try:
                async with asyncio.timeout(self._timeout):
                    return await driver.describe(model)
            except (TimeoutError, errors.Error):
                return None  # asked again next cycle
