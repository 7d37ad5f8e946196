"""API-key authentication: with a token every route but /health and /version needs it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.app import create_app
from runtime.config import Settings

Client = AsyncTestClient[Litestar]

TOKEN = "s3cret"
GROUP = {"name": "small", "purposeType": "chat"}
BACKEND = {"name": "vllm-1", "baseUrl": "http://127.0.0.1:9", "type": "vllm"}


@pytest.fixture
async def guarded(settings: Settings) -> AsyncIterator[Client]:
    """A client over an app configured with an API token."""
    app = create_app(msgspec.structs.replace(settings, api_token=TOKEN))
    async with AsyncTestClient(app) as test_client:
        yield test_client


def assert_unauthorized(status: int, body: dict[str, Any]) -> None:
    assert status == 401
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"message", "type", "code", "param"}
    assert error["type"] == "authentication_error"
    assert error["code"] == "unauthorized"
    assert error["param"] is None
    assert error["message"]
    assert TOKEN not in error["message"]


async def group_names(client: Client) -> set[str]:
    response = await client.get("/groups", headers={"X-API-Key": TOKEN})
    assert response.status_code == 200
    return {group["name"] for group in response.json()}


async def test_health_and_version_need_no_key(guarded: Client) -> None:
    health = await guarded.get("/health")
    assert health.status_code == 200
    assert health.content == b""
    version = await guarded.get("/version")
    assert version.status_code == 200
    assert set(version.json()) == {"version", "nodeInstanceID", "tenancy"}


async def test_missing_key_is_unauthorized(guarded: Client) -> None:
    response = await guarded.get("/backends")
    assert_unauthorized(response.status_code, response.json())


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": "wrong"},
        {"X-API-Key": ""},
        {"X-API-Key": "s3cre"},
        {"X-API-Key": "s3cretX"},
        {"X-API-Key": "S3CRET"},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Bearer"},
        {"Authorization": TOKEN},
        {"Authorization": "Basic czNjcmV0Og=="},
    ],
)
async def test_wrong_key_is_unauthorized(guarded: Client, headers: dict[str, str]) -> None:
    response = await guarded.get("/backends", headers=headers)
    assert_unauthorized(response.status_code, response.json())


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": TOKEN},
        {"Authorization": f"Bearer {TOKEN}"},
        {"X-API-Key": f"Bearer {TOKEN}"},
    ],
)
async def test_right_key_is_accepted(guarded: Client, headers: dict[str, str]) -> None:
    response = await guarded.get("/backends", headers=headers)
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize(
    ("path", "body"),
    [("/groups", GROUP), ("/backends", BACKEND), ("/providers/openai/configure", None)],
)
async def test_post_without_a_key_changes_nothing(
    guarded: Client, path: str, body: dict[str, Any] | None
) -> None:
    before = await group_names(guarded)
    payload = body if body is not None else {"apiKey": "sk-test-0123456789abcdef"}
    response = await guarded.post(path, json=payload)
    assert_unauthorized(response.status_code, response.json())
    assert await group_names(guarded) == before
    backends = await guarded.get("/backends", headers={"X-API-Key": TOKEN})
    assert backends.json() == []
    status = await guarded.get("/providers/openai/status", headers={"X-API-Key": TOKEN})
    assert status.json()["configured"] is False


async def test_write_with_the_key_goes_through(guarded: Client) -> None:
    response = await guarded.post(
        "/groups", json=GROUP, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 201
    assert "small" in await group_names(guarded)


async def test_delete_without_a_key_changes_nothing(guarded: Client) -> None:
    created = await guarded.post("/groups", json=GROUP, headers={"X-API-Key": TOKEN})
    assert created.status_code == 201
    response = await guarded.delete(f"/groups/{created.json()['id']}")
    assert_unauthorized(response.status_code, response.json())
    assert "small" in await group_names(guarded)


@pytest.mark.parametrize(
    "path",
    [
        "/models",
        "/groups",
        "/groups/internal_chat_group",
        "/group-by-name/Chat",
        "/group-by-purpose/Internal%20Chat",
        "/backend-affinity/internal_chat_group/backends",
        "/model-affinity/internal_chat_group/models",
        "/providers/openai/status",
        "/providers/configs",
        "/state",
        "/queue",
        "/v1/models",
        "/schema/openapi.json",
    ],
)
async def test_every_other_route_needs_the_key(guarded: Client, path: str) -> None:
    response = await guarded.get(path)
    assert_unauthorized(response.status_code, response.json())
    assert (await guarded.get(path, headers={"X-API-Key": TOKEN})).status_code == 200


async def test_without_a_token_no_key_is_needed(client: Client) -> None:
    response = await client.get("/backends")
    assert response.status_code == 200
    assert response.json() == []
    created = await client.post("/groups", json=GROUP)
    assert created.status_code == 201


async def test_without_a_token_any_presented_key_is_ignored(client: Client) -> None:
    response = await client.get("/backends", headers={"X-API-Key": "anything"})
    assert response.status_code == 200
    assert response.json() == []


async def test_unknown_paths_reveal_nothing_without_the_key(settings: Settings) -> None:
    app = create_app(msgspec.structs.replace(settings, api_token="s3cret"))
    async with AsyncTestClient(app) as client:
        for method, path in (("GET", "/no/such/route"), ("PATCH", "/backends")):
            response = await client.request(method, path)
            assert response.status_code == 401, (method, path)
            assert response.json()["error"]["code"] == "unauthorized"
        keyed = await client.get("/no/such/route", headers={"X-API-Key": "s3cret"})
        assert keyed.status_code == 404
