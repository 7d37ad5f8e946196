"""Two replicas on one database reconcile at the same moments: every pull is queued once.

Each replica is the whole service graph `create_app` builds (`build_services`) with its own
engine and HTTP client, as two server processes would have; the backend is the fake Ollama.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest

from runtime.affinity.types import GroupSpec
from runtime.background import Background, Loop
from runtime.config import Settings
from runtime.db import Database
from runtime.downloads import JobStatus
from runtime.registry.types import BackendSpec, ModelSpec
from runtime.state.loop import ReconcileLoop
from runtime.wiring import Services, build_services
from tests.fakes.loopback import Served, serve
from tests.fakes.ollama_fake import FakeOllama, Pullable
from tests.waiting import eventually

MODELS = [f"m{n}:1b" for n in range(6)]
CYCLES = 25


class Replica:
    def __init__(self, services: Services, loops: dict[str, Loop]) -> None:
        self.services = services
        self.loops = loops
        reconcile = loops["reconcile"]
        assert isinstance(reconcile, ReconcileLoop)
        self.reconcile = reconcile.run_once


@pytest.fixture
async def ollama() -> AsyncIterator[tuple[FakeOllama, Served]]:
    fake = FakeOllama()
    for name in MODELS:
        fake.pullable[name] = Pullable(steps=2)
    async with serve(fake) as served:
        yield fake, served


@pytest.fixture
async def replicas(settings: Settings) -> AsyncIterator[list[Replica]]:
    async with AsyncExitStack() as stack:
        found = []
        for _ in range(2):
            db = Database(settings.database_url)
            stack.push_async_callback(db.dispose)
            http = await stack.enter_async_context(httpx.AsyncClient())
            services, loops = build_services(settings, db, http)
            found.append(Replica(services, loops))
        yield found


async def declare(services: Services, base_url: str) -> None:
    group = await services.groups.create(GroupSpec(name="g"))
    for name in MODELS:
        model = await services.models.create(
            ModelSpec(model=name, context_length=2048, can_chat=True)
        )
        await services.groups.assign_model(group.id, model.id)
    backend = await services.backends.create(
        BackendSpec(name="o", base_url=base_url, type="ollama")
    )
    await services.groups.assign_backend(group.id, backend.id)


async def test_replicas_reconciling_together_queue_each_pull_once_and_never_fail(
    replicas: list[Replica], ollama: tuple[FakeOllama, Served]
) -> None:
    fake, served = ollama
    first, _ = replicas
    await declare(first.services, served.url)
    for _ in range(CYCLES):
        for name in MODELS:  # an empty queue each cycle: every cycle races to insert
            await first.services.downloads.remove_model(name)
        await asyncio.gather(*(replica.reconcile() for replica in replicas))
        jobs = await first.services.downloads.list_jobs()
        assert sorted((j.model, j.status, j.attempts) for j in jobs) == [
            (name, JobStatus.QUEUED, 0) for name in MODELS
        ]
    pullers = {
        f"{n}-{name}": loop
        for n, replica in enumerate(replicas)
        for name, loop in replica.loops.items()
        if name.startswith("download-")
    }
    async with Background(pullers):
        await eventually(lambda: _all_pulled(fake))
    assert fake.pulls_started == len(MODELS)


async def _all_pulled(fake: FakeOllama) -> bool:
    return all(name in fake.models for name in MODELS)
