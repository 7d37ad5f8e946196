"""The outbound URL policy through HTTP: refused when saved, and again at connect time."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.app import create_app
from runtime.config import Settings
from tests.api.test_backends import assert_error
from tests.fakes.loopback import serve
from tests.fakes.tool_server import FakeToolServer

Client = AsyncTestClient[Litestar]
REFUSED_URLS = [
    "http://169.254.169.254/latest",
    "http://169.254.1.2:8080",
    "http://[fe80::1]:80",
    "http://[fd00:ec2::254]",
    "http://100.100.100.200",
    "http://metadata.google.internal/computeMetadata",
    "http://metadata",
    "http://[::ffff:169.254.169.254]",
    "http://user:secret@127.0.0.1:11434",
]


def _hook(url: str, name: str = "tools") -> dict[str, Any]:
    return {"name": name, "endpointUrl": url, "timeoutMs": 2000}


def _backend(url: str, name: str = "local") -> dict[str, Any]:
    return {"name": name, "baseUrl": url, "type": "ollama"}


@pytest.mark.parametrize("url", REFUSED_URLS)
async def test_metadata_link_local_and_credential_urls_are_refused_for_hooks(
    client: Client, url: str
) -> None:
    response = await client.post("/hooks/remote", json=_hook(url))
    assert response.status_code == 422
    assert_error(response.json(), "unprocessable_entity", "endpointUrl")
    assert (await client.get("/hooks/remote")).json() == []


@pytest.mark.parametrize("url", REFUSED_URLS)
async def test_metadata_link_local_and_credential_urls_are_refused_for_backends(
    client: Client, url: str
) -> None:
    response = await client.post("/backends", json=_backend(url))
    assert response.status_code == 422
    assert_error(response.json(), "unprocessable_entity", "baseUrl")


async def test_updating_a_backend_to_a_metadata_url_is_refused(client: Client) -> None:
    created = (await client.post("/backends", json=_backend("http://127.0.0.1:11434"))).json()
    response = await client.put(
        f"/backends/{created['id']}", json=_backend("http://169.254.169.254")
    )
    assert response.status_code == 422
    assert_error(response.json(), "unprocessable_entity", "baseUrl")


async def test_loopback_and_private_urls_are_allowed_by_default(client: Client) -> None:
    for n, url in enumerate(["http://127.0.0.1:11434", "http://10.0.0.5:8000", "http://localhost"]):
        assert (await client.post("/backends", json=_backend(url, f"b{n}"))).status_code == 201
        assert (await client.post("/hooks/remote", json=_hook(url, f"h{n}"))).status_code == 201


async def test_deny_private_setting_refuses_loopback_and_private_urls(db_url: str) -> None:
    app = create_app(Settings(database_url=db_url, chains_dir="", outbound_deny_private=True))
    async with AsyncTestClient(app) as client:
        for url in ["http://127.0.0.1:11434", "http://192.168.1.4", "http://localhost:80"]:
            response = await client.post("/backends", json=_backend(url))
            assert response.status_code == 422
            assert_error(response.json(), "unprocessable_entity", "baseUrl")
        allowed = await client.post("/backends", json=_backend("https://api.example.com"))
        assert allowed.status_code == 201


async def test_allow_hosts_setting_accepts_only_the_listed_hosts(db_url: str) -> None:
    settings = Settings(
        database_url=db_url, chains_dir="", outbound_allow_hosts=frozenset({"ollama.lan"})
    )
    async with AsyncTestClient(create_app(settings)) as client:
        refused = await client.post("/hooks/remote", json=_hook("http://other.lan"))
        assert refused.status_code == 422
        assert_error(refused.json(), "unprocessable_entity", "endpointUrl")
        assert (await client.post("/hooks/remote", json=_hook("http://ollama.lan"))).is_success


async def test_a_hook_whose_name_now_resolves_to_a_refused_address_is_not_contacted(
    db_url: str,
) -> None:
    tools = FakeToolServer()
    async with serve(tools) as served:
        # saved while loopback was allowed; the name is only resolved when connecting
        url = served.url.replace("127.0.0.1", "localhost")
        async with AsyncTestClient(create_app(Settings(database_url=db_url, chains_dir=""))) as c:
            assert (await c.post("/hooks/remote", json=_hook(url))).status_code == 201
        strict = Settings(database_url=db_url, chains_dir="", outbound_deny_private=True)
        async with (
            serve(create_app(strict), lifespan=True) as ours,
            httpx.AsyncClient(base_url=ours.url, timeout=10) as client,
        ):
            assert (await client.get("/hooks/schemas")).json() == {}
    assert tools.requests == []


def test_outbound_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "RUNTIME_OUTBOUND_DENY_PRIVATE": "true",
            "RUNTIME_OUTBOUND_ALLOW_HOSTS": "Ollama.lan, api.openai.com ,",
        }
    )
    assert settings.outbound_deny_private is True
    assert settings.outbound_allow_hosts == frozenset({"ollama.lan", "api.openai.com"})
