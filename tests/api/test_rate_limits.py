"""Per-key request limits through HTTP: headers on every answer, 429 past the limit, and one
count shared by two server processes on one database.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.app import create_app
from runtime.config import Settings
from tests.api.keys_setup import ADMIN, TOKEN, make_key
from tests.test_cli import Server

Client = AsyncTestClient[Litestar]


@pytest.fixture
async def guarded(settings: Settings) -> AsyncIterator[Client]:
    app = create_app(msgspec.structs.replace(settings, api_token=TOKEN))
    async with AsyncTestClient(app) as test_client:
        yield test_client


async def clear_of_a_minute_boundary(seconds: float = 5) -> None:
    """Wait, if need be, so the next `seconds` fall inside one fixed minute window."""
    left = 60 - time.time() % 60
    if left < seconds:
        await asyncio.sleep(left + 0.05)


def assert_limited(response: httpx.Response, remaining: int) -> None:
    assert response.headers["x-ratelimit-limit"] == "5"
    assert response.headers["x-ratelimit-remaining"] == str(remaining)
    assert 1 <= int(response.headers["x-ratelimit-reset"]) <= 60


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert_limited(response, 0)
    assert response.headers["retry-after"] == response.headers["x-ratelimit-reset"]
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("rate_limit_error", "rate_limit_exceeded")


async def test_sixth_request_in_a_minute_is_refused_with_the_headers(guarded: Client) -> None:
    key = {"X-API-Key": await make_key(guarded, "read", "use", limits={"rpm": 5})}
    await clear_of_a_minute_boundary()
    for n in range(5):
        response = await guarded.get("/backends", headers=key)
        assert response.status_code == 200
        assert_limited(response, 4 - n)
    assert_refused(await guarded.get("/backends", headers=key))
    assert_refused(await guarded.get("/v1/models", headers=key))
    assert (await guarded.get("/backends", headers=ADMIN)).status_code == 200  # the token: no limit


async def test_error_answers_of_a_limited_key_carry_the_headers(guarded: Client) -> None:
    key = {"X-API-Key": await make_key(guarded, "read", "use", limits={"rpm": 5})}
    await clear_of_a_minute_boundary()
    missing = await guarded.get("/backends/nosuch", headers=key)
    assert missing.status_code == 404
    assert_limited(missing, 4)
    chat = await guarded.post(
        "/v1/chat/completions", json={"model": "m", "messages": []}, headers=key
    )
    assert chat.status_code >= 400
    assert_limited(chat, 3)


async def test_keys_are_limited_apart(guarded: Client) -> None:
    one = {"X-API-Key": await make_key(guarded, "read", limits={"rpm": 5})}
    two = {"X-API-Key": await make_key(guarded, "read", limits={"rpm": 5})}
    await clear_of_a_minute_boundary()
    for _ in range(5):
        assert (await guarded.get("/backends", headers=one)).status_code == 200
    assert (await guarded.get("/backends", headers=one)).status_code == 429
    assert_limited(await guarded.get("/backends", headers=two), 4)


async def test_unlimited_key_answers_without_rate_headers(guarded: Client) -> None:
    key = {"X-API-Key": await make_key(guarded, "read")}
    response = await guarded.get("/backends", headers=key)
    assert response.status_code == 200
    assert "x-ratelimit-limit" not in response.headers


async def test_signed_in_users_are_limited_by_the_user_setting(settings: Settings) -> None:
    limited = msgspec.structs.replace(settings, api_token=TOKEN, user_rpm=5)
    async with AsyncTestClient(create_app(limited)) as client:
        alice = {"email": "alice@example.com", "password": "correct horse"}
        assert (await client.post("/users", json=alice, headers=ADMIN)).status_code == 201
        token = (await client.post("/login", json=alice)).json()["token"]
        user = {"Authorization": f"Bearer {token}"}
        await clear_of_a_minute_boundary()
        for n in range(5):
            response = await client.get("/backends", headers=user)
            assert response.status_code == 200
            assert_limited(response, 4 - n)
        assert_refused(await client.get("/backends", headers=user))


@contextlib.contextmanager
def two_processes(db_url: str, tmp_path: Path, **env: str) -> Iterator[list[Server]]:
    """Two `runtime-api serve` processes on one database, guarded by TOKEN, ready."""
    started = [Server(db_url, tmp_path, TOKEN=TOKEN, **env) for _ in range(2)]
    try:
        for server in started:
            server.wait_ready()
        yield started
    finally:
        for server in started:
            if server.process.poll() is None:
                server.terminate()


@pytest.fixture
def processes(db_url: str, tmp_path: Path) -> Iterator[list[Server]]:
    with two_processes(db_url, tmp_path) as started:
        yield started


async def test_a_limit_holds_across_two_server_processes(processes: list[Server]) -> None:
    first, second = processes
    async with (
        httpx.AsyncClient(base_url=first.url, timeout=10) as a,
        httpx.AsyncClient(base_url=second.url, timeout=10) as b,
    ):
        key = {"X-API-Key": await make_key(a, "read", limits={"rpm": 5})}
        await clear_of_a_minute_boundary()
        for n, client in enumerate((a, b, a, b, b)):
            response = await client.get("/backends", headers=key)
            assert response.status_code == 200, response.text
            assert_limited(response, 4 - n)
        assert_refused(await a.get("/backends", headers=key))
        assert_refused(await b.get("/backends", headers=key))
