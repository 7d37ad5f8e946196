"""Killing the server in the middle of a pull loses nothing: the next start finishes it."""

from __future__ import annotations

import os
import signal

import httpx

from tests.fakes.loopback import serve
from tests.fakes.ollama_fake import FakeOllama, Pullable
from tests.services.test_pulls import declare, pulled
from tests.waiting import eventually


async def test_pull_interrupted_by_a_kill_is_finished_after_restart(
    start: object, db_url: str
) -> None:
    fake = FakeOllama()
    fake.pullable["resume:7b"] = Pullable(steps=200, delay=0.02)
    launch = start
    async with serve(fake) as ollama:
        first = await launch()  # type: ignore[operator]
        async with httpx.AsyncClient(base_url=first.url, timeout=10) as api:
            await declare(api, ollama.url, "resume:7b")

            async def midway() -> bool:
                jobs = (await api.get("/queue")).json()
                return bool(jobs) and jobs[0]["completed"] > 0

            await eventually(midway)
        os.kill(first.process.pid, signal.SIGKILL)
        await first.process.wait()
        assert "resume:7b" not in fake.models
        fake.pullable["resume:7b"] = Pullable(steps=3)
        second = await launch()  # type: ignore[operator]
        async with httpx.AsyncClient(base_url=second.url, timeout=10) as api:
            backend = (await api.get("/backends")).json()[0]["id"]
            assert await eventually(lambda: pulled(api, backend), within=20) == {"resume:7b"}
            assert (await api.get("/queue")).json() == []
    assert fake.pulls_started >= 2  # a lease that ran out under load may add one
