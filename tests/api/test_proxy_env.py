"""Backends behind the HTTP proxy the environment names (`HTTP_PROXY`, `NO_PROXY`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import msgspec

from runtime.app import create_app
from runtime.config import Settings
from tests.api.gateway_setup import backend, declare_model, group, routable
from tests.fakes.loopback import serve
from tests.fakes.ollama_fake import FakeOllama
from tests.waiting import eventually

# a name that resolves nowhere: only a proxy can reach it
UNREACHABLE = "http://ollama.invalid:11434"


@asynccontextmanager
async def behind(
    settings: Settings, proxy: FakeOllama, no_proxy: str
) -> AsyncIterator[httpx.AsyncClient]:
    """Our server with `proxy` as its HTTP proxy (and `no_proxy` bypassing it); its client."""
    async with serve(proxy) as proxied:
        proxies = {"http": proxied.url, "no": no_proxy}
        fast = msgspec.structs.replace(settings, reconcile_interval=0.2, proxies=proxies)
        async with (
            serve(create_app(fast), lifespan=True) as ours,
            httpx.AsyncClient(base_url=ours.url, timeout=10) as api,
        ):
            yield api


async def test_a_backend_is_reached_through_the_environments_proxy(settings: Settings) -> None:
    proxy = FakeOllama()  # it answers the requests forwarded to it in absolute form
    proxy.add_model("m:latest", caps=["completion"])
    async with behind(settings, proxy, "127.0.0.1") as api:  # our test client talks directly
        group_id = await group(api, "g")
        await declare_model(api, group_id, "m")
        backend_id = await backend(api, group_id, UNREACHABLE, "ollama", "behind-proxy")
        await routable(api, backend_id, "m")
        answer = await api.post(
            "/v1/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
        )
    assert answer.status_code == 200, answer.text
    assert ("POST", "/api/chat") in [(method, path) for method, path, _ in proxy.requests]


async def test_no_proxy_hosts_are_reached_directly(settings: Settings) -> None:
    proxy = FakeOllama()
    async with behind(settings, proxy, "127.0.0.1,.invalid") as api:
        group_id = await group(api, "g")
        backend_id = await backend(api, group_id, UNREACHABLE, "ollama", "direct")

        async def failed() -> bool:
            return bool((await api.get(f"/backends/{backend_id}")).json().get("error"))

        await eventually(failed)
    assert proxy.requests == []
