"""Ask every grouped backend what it serves, concurrently, each within its own time budget.

Does network I/O through drivers; one dead or slow backend never delays the others.
"""

from __future__ import annotations

import asyncio

import msgspec

from runtime import errors
from runtime.providers.base import Driver
from runtime.providers.messages import Capabilities, ServedModel
from runtime.registry.types import Backend
from runtime.state.drivers import Drivers
from runtime.state.types import Declared, Observation

_DESCRIBE_CONCURRENCY = 8


class Observer:
    """Observes backends; remembers model descriptions by digest so they are asked once."""

    def __init__(self, drivers: Drivers, *, timeout: float) -> None:
        self.driver = drivers
        self._timeout = timeout
        self._described: dict[tuple[str, str, str], Capabilities | None] = {}

    async def observe(self, declared: list[Declared]) -> dict[str, Observation]:
        seen = await asyncio.gather(*(self._observe_one(d.backend) for d in declared))
        return {d.backend.id: s for d, s in zip(declared, seen, strict=True)}

    async def _observe_one(self, backend: Backend) -> Observation:
        try:
            async with asyncio.timeout(self._timeout):
                driver = self.driver(backend)
                served = await driver.list_models()
                described = await self._describe(backend, driver, served)
        except TimeoutError:
            return Observation(error=f"backend did not answer within {self._timeout:g}s")
        except errors.Error as exc:
            return Observation(error=exc.message)
        return Observation(served=tuple(described))

    async def _describe(
        self, backend: Backend, driver: Driver, served: list[ServedModel]
    ) -> list[ServedModel]:
        limit = asyncio.Semaphore(_DESCRIBE_CONCURRENCY)

        async def one(model: ServedModel) -> ServedModel:
            if model.capabilities is not None:
                return model
            key = (backend.base_url, model.name, model.digest)
            if key not in self._described:
                async with limit:
                    self._described[key] = await driver.describe(model)
            return msgspec.structs.replace(model, capabilities=self._described[key])

        return list(await asyncio.gather(*(one(model) for model in served)))
