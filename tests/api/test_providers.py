"""/providers through HTTP: configure, status, masked configs, delete, encryption at rest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from runtime.app import create_app
from runtime.config import Settings

Client = AsyncTestClient[Litestar]

KEY = "sk-test-0123456789abcdef"
MASKED = "sk-…cdef"
BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "gemini": "https://generativelanguage.googleapis.com",
}


def assert_error(body: dict[str, Any], code: str, param: str | None = None) -> str:
    """Check the error envelope and return its message."""
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "code", "param"}
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["code"] == code
    assert body["error"]["param"] == param
    message: str = body["error"]["message"]
    assert message
    return message


def moment(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


async def configure(
    client: Client, provider: str = "openai", key: str = KEY, *, upsert: bool = False
) -> dict[str, Any]:
    response = await client.post(
        f"/providers/{provider}/configure", json={"apiKey": key, "upsert": upsert}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def backends_by_id(client: Client) -> dict[str, dict[str, Any]]:
    response = await client.get("/backends")
    assert response.status_code == 200
    return {backend["id"]: backend for backend in response.json()}


async def status_of(client: Client, provider: str = "openai") -> dict[str, Any]:
    response = await client.get(f"/providers/{provider}/status")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def sealing_client(settings: Settings) -> AsyncIterator[Client]:
    """A client over an app that encrypts provider keys with a secret key."""
    app = create_app(msgspec.structs.replace(settings, secret_key="a very secret key"))
    async with AsyncTestClient(app) as test_client:
        yield test_client


async def stored_api_keys(database_url: str) -> list[str]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT api_key FROM provider_configs"))
            return [row[0] for row in rows]
    finally:
        await engine.dispose()


# --- configure ------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["openai", "gemini"])
async def test_configure_answers_configured_and_creates_the_virtual_backend(
    client: Client, provider: str
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    body = await configure(client, provider)
    assert set(body) == {"configured", "updatedAt", "provider"}
    assert body["configured"] is True
    assert body["provider"] == provider
    assert before < moment(body["updatedAt"]) <= datetime.now(UTC)
    backends = await backends_by_id(client)
    assert list(backends) == [provider]
    backend = backends[provider]
    assert (backend["name"], backend["type"], backend["baseUrl"]) == (
        provider,
        provider,
        BASE_URLS[provider],
    )
    detail = await client.get(f"/backends/{provider}")
    assert detail.status_code == 200
    assert detail.json()["baseUrl"] == BASE_URLS[provider]


async def test_configuring_twice_without_upsert_is_unprocessable(client: Client) -> None:
    first = await configure(client)
    response = await client.post(
        "/providers/openai/configure",
        json={"apiKey": "sk-other-key-999999999999", "upsert": False},
    )
    assert response.status_code == 422
    assert assert_error(response.json(), "unprocessable_entity", "upsert") == (
        "provider config already exists"
    )
    config = await client.get("/providers/openai/config")
    assert config.json() == {"APIKey": MASKED, "Type": "openai"}
    assert (await status_of(client))["updatedAt"] == first["updatedAt"]
    assert list(await backends_by_id(client)) == ["openai"]


async def test_upsert_replaces_the_key(client: Client) -> None:
    first = await configure(client)
    second = await configure(client, key="sk-replaced-key-7777wxyz", upsert=True)
    assert second["configured"] is True
    assert moment(second["updatedAt"]) > moment(first["updatedAt"])
    config = await client.get("/providers/openai/config")
    assert config.status_code == 200
    assert config.json() == {"APIKey": "sk-…wxyz", "Type": "openai"}
    assert (await status_of(client))["updatedAt"] == second["updatedAt"]
    assert list(await backends_by_id(client)) == ["openai"]


async def test_upsert_without_an_existing_config_creates_it(client: Client) -> None:
    body = await configure(client, "gemini", upsert=True)
    assert body["configured"] is True
    assert (await status_of(client, "gemini"))["configured"] is True


@pytest.mark.parametrize("key", ["", "   "])
async def test_empty_api_key_is_unprocessable_and_nothing_is_stored(
    client: Client, key: str
) -> None:
    response = await client.post("/providers/openai/configure", json={"apiKey": key})
    assert response.status_code == 422
    assert assert_error(response.json(), "unprocessable_entity", "apiKey") == "api key is required"
    assert (await status_of(client))["configured"] is False
    assert (await client.get("/providers/configs")).json() == []
    assert await backends_by_id(client) == {}


async def test_empty_key_does_not_touch_an_existing_config(client: Client) -> None:
    first = await configure(client)
    response = await client.post("/providers/openai/configure", json={"apiKey": "", "upsert": True})
    assert response.status_code == 422
    assert (await client.get("/providers/openai/config")).json()["APIKey"] == MASKED
    assert (await status_of(client))["updatedAt"] == first["updatedAt"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"apiKey": 5}, "apiKey"),
        ({"apiKey": KEY, "upsert": "yes"}, "upsert"),
    ],
)
async def test_badly_shaped_configure_body_is_unprocessable(
    client: Client, body: dict[str, Any], param: str
) -> None:
    response = await client.post("/providers/openai/configure", json=body)
    assert response.status_code == 422
    assert_error(response.json(), "unprocessable_entity", param)
    assert (await status_of(client))["configured"] is False
    assert await backends_by_id(client) == {}


async def test_malformed_configure_json_is_a_bad_request(client: Client) -> None:
    response = await client.post(
        "/providers/openai/configure",
        content=b'{"apiKey": "sk-',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert assert_error(response.json(), "bad_request").startswith("invalid json")
    assert (await status_of(client))["configured"] is False


# --- status, config, configs ----------------------------------------------------------------


@pytest.mark.parametrize("provider", ["openai", "gemini"])
async def test_status_of_an_unconfigured_provider_is_false_not_missing(
    client: Client, provider: str
) -> None:
    assert await status_of(client, provider) == {
        "configured": False,
        "updatedAt": None,
        "provider": provider,
    }


async def test_status_reflects_configuration(client: Client) -> None:
    configured = await configure(client)
    assert await status_of(client) == configured
    assert (await status_of(client, "gemini"))["configured"] is False


async def test_config_shows_the_key_masked(client: Client) -> None:
    await configure(client)
    response = await client.get("/providers/openai/config")
    assert response.status_code == 200
    assert response.json() == {"APIKey": MASKED, "Type": "openai"}


async def test_short_key_is_never_shown_whole(client: Client) -> None:
    await configure(client, "gemini", key="abc12345")
    response = await client.get("/providers/gemini/config")
    assert response.status_code == 200
    shown = response.json()["APIKey"]
    assert "abc12345" not in shown
    assert shown.endswith("45")
    assert len(shown) < len("abc12345")


async def test_config_of_an_unconfigured_provider_is_not_found(client: Client) -> None:
    response = await client.get("/providers/openai/config")
    assert response.status_code == 404
    assert "openai" in assert_error(response.json(), "not_found")


async def test_configs_list_is_empty_array_when_none(client: Client) -> None:
    response = await client.get("/providers/configs")
    assert response.status_code == 200
    assert response.json() == []


async def test_configs_list_every_provider_masked_newest_first(client: Client) -> None:
    await configure(client, "openai")
    await configure(client, "gemini", key="AIzaSyExampleKey-9876")
    response = await client.get("/providers/configs")
    assert response.status_code == 200
    assert response.json() == [
        {"APIKey": "AIz…9876", "Type": "gemini"},
        {"APIKey": MASKED, "Type": "openai"},
    ]
    first = await client.get("/providers/configs", params={"limit": "1"})
    assert first.json() == [{"APIKey": "AIz…9876", "Type": "gemini"}]


async def test_the_full_key_never_appears_in_any_response(client: Client) -> None:
    gemini_key = "AIzaSyExampleKey-9876"
    bodies: list[str] = []
    payloads: list[tuple[str, dict[str, Any]]] = [
        ("openai", {"apiKey": KEY, "upsert": False}),
        ("gemini", {"apiKey": gemini_key}),
        ("openai", {"apiKey": KEY}),
        ("openai", {"apiKey": KEY, "upsert": True}),
    ]
    for provider, payload in payloads:
        response = await client.post(f"/providers/{provider}/configure", json=payload)
        bodies.append(response.text)
    for path in (
        "/providers/openai/status",
        "/providers/gemini/status",
        "/providers/openai/config",
        "/providers/gemini/config",
        "/providers/configs",
        "/backends",
        "/backends/openai",
        "/backends/gemini",
        "/state",
        "/schema/openapi.json",
    ):
        response = await client.get(path)
        assert response.status_code == 200, path
        bodies.append(response.text)
    bodies.append((await client.delete("/providers/openai/config")).text)
    for shown in bodies:
        assert KEY not in shown
        assert gemini_key not in shown
        assert "0123456789abcdef" not in shown


# --- delete ---------------------------------------------------------------------------------


async def test_delete_removes_the_config_and_its_virtual_backend(client: Client) -> None:
    await configure(client, "openai")
    await configure(client, "gemini")
    response = await client.delete("/providers/openai/config")
    assert response.status_code == 200
    assert response.json() == "Provider config deleted successfully"
    assert response.headers["content-type"].startswith("application/json")
    config = await client.get("/providers/openai/config")
    assert config.status_code == 404
    assert_error(config.json(), "not_found")
    assert await status_of(client) == {"configured": False, "updatedAt": None, "provider": "openai"}
    assert list(await backends_by_id(client)) == ["gemini"]
    backend = await client.get("/backends/openai")
    assert backend.status_code == 404
    assert_error(backend.json(), "not_found")
    assert (await client.get("/providers/configs")).json() == [{"APIKey": MASKED, "Type": "gemini"}]


async def test_deleting_an_unconfigured_provider_is_not_found(client: Client) -> None:
    response = await client.delete("/providers/openai/config")
    assert response.status_code == 404
    assert "openai" in assert_error(response.json(), "not_found")


async def test_provider_can_be_configured_again_after_delete(client: Client) -> None:
    await configure(client)
    assert (await client.delete("/providers/openai/config")).status_code == 200
    body = await configure(client, key="sk-second-life-key-0000")
    assert body["configured"] is True
    assert (await client.get("/providers/openai/config")).json()["APIKey"] == "sk-…0000"
    assert list(await backends_by_id(client)) == ["openai"]


async def test_virtual_backend_is_deleted_with_its_memberships(client: Client) -> None:
    await configure(client)
    assigned = await client.post("/backend-affinity/internal_chat_group/backends/openai")
    assert assigned.status_code == 201
    assert (await client.delete("/providers/openai/config")).status_code == 200
    listed = await client.get("/backend-affinity/internal_chat_group/backends")
    assert listed.json() == []


# --- unknown provider types -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/providers/azure/config"),
        ("DELETE", "/providers/azure/config"),
        ("GET", "/providers/azure/status"),
        ("POST", "/providers/azure/configure"),
        ("GET", "/providers/OpenAI/config"),
    ],
)
async def test_unknown_provider_type_is_not_found(client: Client, method: str, path: str) -> None:
    body = {"apiKey": KEY} if method == "POST" else None
    response = await client.request(method, path, json=body)
    assert response.status_code == 404
    message = assert_error(response.json(), "not_found", "providerType")
    assert "openai or gemini" in message
    assert await backends_by_id(client) == {}
    assert (await client.get("/providers/configs")).json() == []


# --- encryption at rest ---------------------------------------------------------------------


async def test_key_is_stored_encrypted_when_a_secret_key_is_set(
    sealing_client: Client, db_url: str
) -> None:
    await configure(sealing_client, "openai")
    stored = await stored_api_keys(db_url)
    assert len(stored) == 1
    assert KEY not in stored[0]
    assert "0123456789abcdef" not in stored[0]
    config = await sealing_client.get("/providers/openai/config")
    assert config.status_code == 200
    assert config.json() == {"APIKey": MASKED, "Type": "openai"}
    listed = await sealing_client.get("/providers/configs")
    assert listed.json() == [{"APIKey": MASKED, "Type": "openai"}]


async def test_upserted_key_is_encrypted_too(sealing_client: Client, db_url: str) -> None:
    await configure(sealing_client, "gemini")
    await configure(sealing_client, "gemini", key="AIzaSyReplacement-4321", upsert=True)
    stored = await stored_api_keys(db_url)
    assert len(stored) == 1
    assert "AIzaSyReplacement-4321" not in stored[0]
    config = await sealing_client.get("/providers/gemini/config")
    assert config.json() == {"APIKey": "AIz…4321", "Type": "gemini"}


async def test_without_a_secret_key_the_key_is_stored_as_given(client: Client, db_url: str) -> None:
    await configure(client, "openai")
    assert await stored_api_keys(db_url) == [KEY]
    assert (await client.get("/providers/openai/config")).json()["APIKey"] == MASKED
