"""Row caps hold when replicas create at the same moment: never one row past the cap.

Two engines on one database stand for two replicas; each has its own service instances.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest

from runtime import errors
from runtime.affinity.service import GroupService
from runtime.affinity.types import GroupSpec
from runtime.db import Database
from runtime.functions.service import FunctionService
from runtime.functions.types import Function, Trigger
from runtime.hooks.service import HookService
from runtime.hooks.types import HookSpec
from runtime.paging import PageRequest
from runtime.providerconfig.secrets import SecretBox
from runtime.providerconfig.service import ProviderService
from runtime.providerconfig.types import CloudProvider
from runtime.registry.service import BackendService, ModelService
from runtime.registry.types import BackendSpec, ModelSpec
from runtime.sandbox import Limits, Sandbox

CAP = 3
CALLERS = 20
ALL = PageRequest(limit=1000)


class Kind:
    """How to build a capped service on a replica's engine, create its n-th row, count rows."""

    def __init__(
        self,
        build: Callable[[Database, AsyncExitStack], Awaitable[Any]],
        create: Callable[[Any, int], Awaitable[object]],
        count: Callable[[Any], Awaitable[int]],
    ) -> None:
        self.build, self.create, self.count = build, create, count


async def _groups(db: Database, _: AsyncExitStack) -> GroupService:
    return GroupService(db, max_rows=CAP)


async def _backends(db: Database, _: AsyncExitStack) -> BackendService:
    return BackendService(db, max_rows=CAP)


async def _models(db: Database, _: AsyncExitStack) -> ModelService:
    return ModelService(db, max_rows=CAP, immutable=frozenset())


async def _hooks(db: Database, stack: AsyncExitStack) -> HookService:
    http = await stack.enter_async_context(httpx.AsyncClient())
    return HookService(db, http, max_rows=CAP)


async def _functions(db: Database, stack: AsyncExitStack) -> FunctionService:
    service = FunctionService(db, Sandbox(Limits(timeout=2.0), processes=1), max_rows=CAP)
    stack.push_async_callback(service.close)
    return service


async def _trigger(service: FunctionService, n: int) -> object:
    trigger = Trigger(name=f"t{n}", listen_for="e", function="f")
    return await service.create_trigger(trigger)


async def _providers(db: Database, _: AsyncExitStack) -> ProviderService:
    return ProviderService(db, secrets=SecretBox(""), max_rows=1)


async def _configure(service: ProviderService, n: int) -> object:
    provider = list(CloudProvider)[n % len(CloudProvider)]
    return await service.configure(provider, f"key-{n}", upsert=True)


KINDS = {
    "groups": Kind(
        _groups,
        lambda s, n: s.create(GroupSpec(name=f"g{n}")),
        lambda s: _length(s.list_page(ALL)),
    ),
    "backends": Kind(
        _backends,
        lambda s, n: s.create(BackendSpec(name=f"b{n}", base_url=f"http://h{n}:1", type="ollama")),
        lambda s: _length(s.list_page(ALL)),
    ),
    "models": Kind(
        _models,
        lambda s, n: s.create(ModelSpec(model=f"m{n}", context_length=2048, can_chat=True)),
        lambda s: _length(s.list_page(ALL)),
    ),
    "hooks": Kind(
        _hooks,
        lambda s, n: s.create(HookSpec(name=f"h{n}", endpoint_url="http://h:1", timeout_ms=100)),
        lambda s: _length(s.list_page(ALL)),
    ),
    "event triggers": Kind(_functions, _trigger, lambda s: _length(s.list_triggers(ALL))),
    "provider configs": Kind(_providers, _configure, lambda s: _length(s.list_page(ALL))),
}


async def _length(found: Awaitable[list[Any]]) -> int:
    return len(await found)


@pytest.fixture
async def replicas(db_url: str) -> AsyncIterator[list[Database]]:
    found = [Database(db_url), Database(db_url)]
    yield found
    for db in found:
        await db.dispose()


async def warm(db: Database) -> None:
    """Open the pool's connections now, so that the creates below start at the same time."""

    async def hold() -> None:
        async with db.transaction() as session:
            await session.connection()

    if not db.is_sqlite:  # one SQLite writer at a time: nothing to open in parallel
        await asyncio.gather(*(hold() for _ in range(CALLERS // 2)))


@pytest.mark.parametrize("name", KINDS)
async def test_creates_racing_on_two_replicas_stop_at_the_row_cap(
    name: str, replicas: list[Database]
) -> None:
    kind = KINDS[name]
    async with AsyncExitStack() as stack:
        services = [await kind.build(db, stack) for db in replicas]
        if name == "event triggers":
            await services[0].create_function(Function(name="f", script="function f(e) {}"))
        for db in replicas:
            await warm(db)
        outcomes = await asyncio.gather(
            *(kind.create(services[n % 2], n) for n in range(CALLERS)), return_exceptions=True
        )
        refused = (errors.LimitExceededError, errors.InvalidInputError)
        unexpected = [
            o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, refused)
        ]
        assert unexpected == []
        cap = 1 if name == "provider configs" else CAP
        assert await kind.count(services[0]) == cap
        if name != "provider configs":  # those that got through are those that were stored
            assert sum(not isinstance(o, BaseException) for o in outcomes) == cap
