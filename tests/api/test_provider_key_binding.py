"""Provider keys reach only the URL they were configured for, through HTTP and real fakes."""

from __future__ import annotations

import httpx
import msgspec

from runtime.app import create_app
from runtime.config import Settings
from tests.fakes.gemini import FakeGemini
from tests.fakes.loopback import serve
from tests.waiting import eventually

KEY = "gk-the-real-secret"


def _keyed(fake: FakeGemini) -> int:
    return sum(1 for _, _, headers in fake.requests if headers.get("x-goog-api-key") == KEY)


async def _count(value: int) -> int:
    return value


def _gemini(name: str, url: str) -> dict[str, str]:
    return {"name": name, "baseUrl": url, "type": "gemini"}


async def test_a_provider_key_reaches_only_the_url_it_was_configured_for(
    settings: Settings,
) -> None:
    configured, other = FakeGemini(api_key=KEY), FakeGemini(api_key=KEY)
    fast = msgspec.structs.replace(settings, reconcile_interval=0.1)
    async with (
        serve(configured) as a,
        serve(other) as b,
        serve(create_app(fast), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10) as api,
    ):
        assert (await api.post("/providers/gemini/configure", json={"apiKey": KEY})).is_success
        assert (await api.put("/backends/gemini", json=_gemini("gemini", a.url))).is_success
        # moving the URL unbinds the key: only configuring it again binds it to the new URL
        again = {"apiKey": KEY, "upsert": True}
        assert (await api.post("/providers/gemini/configure", json=again)).is_success
        await api.post("/backends", json=_gemini("stray", b.url))

        async def unusable(backend: str) -> bool:
            listed = (await api.get("/backends")).json()
            return any(
                item["name"] == backend and "API key" in (item.get("error") or "")
                for item in listed
            )

        await eventually(lambda: _count(_keyed(configured)))
        await eventually(lambda: unusable("stray"))
        assert _keyed(other) == 0

        # the provider's own backend moved elsewhere does not take the key along
        stray = next(b for b in (await api.get("/backends")).json() if b["name"] == "stray")
        assert (await api.delete(f"/backends/{stray['id']}")).is_success
        assert (await api.put("/backends/gemini", json=_gemini("gemini", b.url))).is_success
        await eventually(lambda: unusable("gemini"))
    assert _keyed(other) == 0
