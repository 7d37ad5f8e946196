"""Fixtures for tests that run `runtime-api serve` as a real child process and kill it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.test_cli import environment, free_port
from tests.waiting import eventually


class Process:
    """`runtime-api serve` as an asyncio child process (the fake keeps running in our loop)."""

    def __init__(self, process: asyncio.subprocess.Process, url: str) -> None:
        self.process = process
        self.url = url


@pytest.fixture
async def start(db_url: str, tmp_path: Path) -> AsyncIterator[object]:
    started: list[Process] = []

    async def launch(**extra: str) -> Process:
        port = free_port()
        env = environment(
            db_url,
            RUNTIME_PULL_LEASE="2",
            RUNTIME_PULL_BACKOFF="0.1",
            RUNTIME_RECONCILE_INTERVAL="0.3",
            **extra,
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "runtime",
            "serve",
            "--port",
            str(port),
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        child = Process(process, f"http://127.0.0.1:{port}")
        started.append(child)
        async with httpx.AsyncClient() as client:

            async def ready() -> bool:
                try:
                    return (await client.get(f"{child.url}/health")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, within=30)
        return child

    yield launch
    for child in started:
        if child.process.returncode is None:
            child.process.kill()
            await child.process.wait()
