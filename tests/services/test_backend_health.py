"""Unhealthy backends show a clear error in /state and /backends while the API stays fast."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.app import create_app
from runtime.config import Settings
from tests.waiting import eventually

Client = AsyncTestClient[Litestar]


@pytest.fixture
def refused_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def hanging_url() -> Iterator[str]:
    """Accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


async def grouped_backend(client: Client, base_url: str, kind: str = "ollama") -> str:
    backend = (
        await client.post("/backends", json={"name": "b", "baseUrl": base_url, "type": kind})
    ).json()
    response = await client.post(f"/backend-affinity/internal_chat_group/backends/{backend['id']}")
    assert response.status_code == 201
    return str(backend["id"])


async def state_error(client: Client, backend_id: str) -> str | None:
    for state in (await client.get("/state")).json():
        if state["id"] == backend_id and state.get("error"):
            return str(state["error"])
    return None


@pytest.mark.parametrize("kind", ["ollama", "vllm", "openai"])
async def test_refusing_backend_reports_an_error(
    settings: Settings, refused_url: str, kind: str
) -> None:
    async with AsyncTestClient(create_app(settings)) as client:
        backend_id = await grouped_backend(client, refused_url, kind)
        error = await eventually(lambda: state_error(client, backend_id))
        assert "ConnectError" in error
        detail = (await client.get(f"/backends/{backend_id}")).json()
        assert detail["error"] == error
        assert detail["pulledModels"] == []


async def test_hanging_backend_times_out_while_the_api_answers_fast(
    settings: Settings, hanging_url: str
) -> None:
    quick = msgspec.structs.replace(settings, provider_timeout=0.5)
    async with AsyncTestClient(create_app(quick)) as client:
        backend_id = await grouped_backend(client, hanging_url)
        started = time.monotonic()
        for _ in range(5):
            assert (await client.get("/health")).status_code == 200
            assert (await client.get("/backends")).status_code == 200
        assert time.monotonic() - started < 0.5
        error = await eventually(lambda: state_error(client, backend_id))
        # whichever fires first: the HTTP read timeout or the observer's budget, both 0.5 s
        assert error in (
            "backend did not answer within 0.5s",
            "list models: timed out (ReadTimeout)",
        )


async def test_backend_in_no_group_is_not_in_state_but_shows_its_error(
    settings: Settings, refused_url: str
) -> None:
    async with AsyncTestClient(create_app(settings)) as client:
        backend = (
            await client.post(
                "/backends", json={"name": "alone", "baseUrl": refused_url, "type": "ollama"}
            )
        ).json()
        await asyncio.sleep(0.2)
        assert (await client.get("/state")).json() == []
        detail = (await client.get(f"/backends/{backend['id']}")).json()
        assert detail["models"] == []
        assert "connect" in detail["error"]  # a wrong URL shows before the backend is grouped
