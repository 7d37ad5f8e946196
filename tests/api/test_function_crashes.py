"""A sandbox worker that dies under a function run: the API goes on, the run is retried."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.config import Settings
from tests.api.test_triggers import event, install, runs
from tests.services.test_sandbox import is_running
from tests.waiting import eventually

Client = AsyncTestClient[Litestar]
SPIN = "const end = Date.now() + 1500; while (Date.now() < end) {} result = {ok: true};"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        database_url=db_url,
        function_timeout=5.0,
        function_backoff=0.05,
        function_attempts=2,
        function_processes=1,
        function_workers=1,
    )


def sandbox_workers() -> list[int]:
    """Our child processes that are sandbox workers."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read()
        except OSError:
            continue
        if parent == os.getpid() and b"runtime.sandbox.worker" in command:
            found.append(int(entry))
    return found


async def test_a_worker_killed_mid_run_is_recorded_and_the_run_retried_on_a_fresh_one(
    client: Client,
) -> None:
    await install(client, "spin", SPIN, "go")
    await eventually(lambda: _settled(1))
    assert (await client.post("/events", json=event("go"))).status_code == 201

    async def busy() -> int | None:
        return next((pid for pid in sandbox_workers() if is_running(pid)), None)

    victim = await eventually(busy)
    os.kill(victim, signal.SIGSEGV)
    assert (await client.get("/health")).status_code == 200
    assert (await client.get("/functions/spin")).status_code == 200
    done = await runs(client, "spin", 2, within=20)
    assert [(r["attempt"], r["status"]) for r in reversed(done)] == [
        (1, "crashed"),
        (2, "succeeded"),
    ]
    assert "SIGSEGV" in done[1]["error"]
    assert victim not in sandbox_workers()


async def test_saving_a_function_works_after_every_worker_died(client: Client) -> None:
    await install(client, "first", "result = 1", "go")
    for pid in sandbox_workers():
        os.kill(pid, signal.SIGKILL)
    bad = await client.post(
        "/functions", json={"name": "bad", "scriptType": "goja", "script": "function ("}
    )
    assert bad.status_code == 422
    assert "SyntaxError" in bad.json()["error"]["message"]
    await install(client, "second", "result = 2", "go")


async def _settled(count: int) -> bool:
    await asyncio.sleep(0)
    pids = sandbox_workers()
    return len(pids) == count and not any(is_running(pid) for pid in pids)
