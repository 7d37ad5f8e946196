"""Driver contract for model management, each driver against its fake over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from runtime import errors
from runtime.providers import DriverSettings, driver_for
from runtime.providers.errors import (
    BadProviderResponseError,
    ModelMissingError,
    ProviderUnreachableError,
    UnsupportedOperationError,
)
from runtime.providers.transport import LeanTransport
from tests.fakes.gemini import FakeGemini
from tests.fakes.loopback import serve
from tests.fakes.ollama_fake import FakeOllama, Pullable
from tests.fakes.openai_fake import FakeOpenAI


class Http(httpx.AsyncClient):
    """A client, and the driver settings that go with it."""

    settings = DriverSettings(timeout=2.0, pull_stall=0.5)


@pytest.fixture(params=["direct", "lean", "httpcore"])
async def http(request: pytest.FixtureRequest) -> AsyncIterator[Http]:
    """The drivers behave the same written straight on our transport, on our transport under
    httpx, and on httpx's own."""
    transport = LeanTransport() if request.param != "httpcore" else None
    async with Http(transport=transport) as client:
        if request.param == "direct":
            client.settings = DriverSettings(timeout=2.0, pull_stall=0.5, direct=transport)
        yield client


async def test_ollama_lists_and_describes_served_models(http: Http) -> None:
    fake = FakeOllama()
    fake.add_model("llama3:8b", size=4_700_000_000, caps=["completion", "tools"])
    fake.add_model("nomic-embed-text", caps=["embedding"])
    async with serve(fake) as served:
        driver = driver_for("ollama", served.url, http, http.settings)
        models = {m.name: m for m in await driver.list_models()}
        assert set(models) == {"llama3:8b", "nomic-embed-text:latest"}
        llama = models["llama3:8b"]
        assert llama.size == 4_700_000_000
        assert llama.details.family == "llama"
        assert llama.digest.startswith("sha256:")
        caps = await driver.describe(llama)
        assert caps is not None
        assert (caps.can_chat, caps.can_embed, caps.context_length) == (True, False, 8192)
        embed = await driver.describe(models["nomic-embed-text:latest"])
        assert embed is not None
        assert (embed.can_chat, embed.can_embed) == (False, True)


async def test_ollama_pull_reports_progress_and_the_model_appears(
    http: Http,
) -> None:
    fake = FakeOllama()
    fake.pullable["phi3:3.8b"] = Pullable(size=1000, steps=4)
    async with serve(fake) as served:
        driver = driver_for("ollama", served.url, http, http.settings)
        steps = [step async for step in driver.pull("phi3:3.8b")]
        assert steps[0].status == "pulling manifest"
        assert [s.completed for s in steps if s.total] == [250, 500, 750, 1000]
        assert steps[-1].status == "success"
        assert "phi3:3.8b" in {m.name for m in await driver.list_models()}
        await driver.delete("phi3:3.8b")
        assert await driver.list_models() == []
        with pytest.raises(ModelMissingError):
            await driver.delete("phi3:3.8b")


async def test_ollama_pull_of_unknown_model_is_model_missing(http: Http) -> None:
    async with serve(FakeOllama()) as served:
        driver = driver_for("ollama", served.url, http, http.settings)
        with pytest.raises(ModelMissingError, match="file does not exist"):
            async for _ in driver.pull("nosuch:1b"):
                pass


async def test_ollama_pull_that_stalls_fails_as_unreachable(http: Http) -> None:
    fake = FakeOllama()
    fake.pullable["stuck:1b"] = Pullable(stall_after=1)
    async with serve(fake) as served:
        driver = driver_for("ollama", served.url, http, http.settings)
        with pytest.raises(ProviderUnreachableError, match="timed out") as raised:
            async for _ in driver.pull("stuck:1b"):
                pass
        assert raised.value.retryable


async def test_garbage_answer_is_a_bad_response(http: Http) -> None:
    fake = FakeOllama(garbage=True)
    async with serve(fake) as served:
        with pytest.raises(BadProviderResponseError, match="unreadable answer"):
            await driver_for("ollama", served.url, http, http.settings).list_models()


@pytest.mark.parametrize("kind", ["ollama", "vllm", "openai", "gemini"])
async def test_dead_backend_is_unreachable(http: Http, kind: str) -> None:
    async with serve(FakeOllama()) as served:
        url = served.url
    driver = driver_for(kind, url, http, http.settings, api_key="k")
    with pytest.raises(ProviderUnreachableError) as raised:
        await driver.list_models()
    assert isinstance(raised.value, errors.UnavailableError)


async def test_gemini_lists_every_page_with_capabilities(http: Http) -> None:
    fake = FakeGemini(page_size=2)
    fake.add_model("gemini-1.5-flash", methods=["generateContent", "countTokens"])
    fake.add_model("gemini-1.5-pro", methods=["generateContent"], input_tokens=2_000_000)
    fake.add_model("text-embedding-004", methods=["embedContent"], input_tokens=2048)
    async with serve(fake) as served:
        driver = driver_for("gemini", served.url, http, http.settings, api_key="gk-test")
        models = {m.name: m for m in await driver.list_models()}
    assert set(models) == {"gemini-1.5-flash", "gemini-1.5-pro", "text-embedding-004"}
    pro = models["gemini-1.5-pro"].capabilities
    assert pro is not None
    assert (pro.can_chat, pro.can_embed, pro.context_length) == (True, False, 2_000_000)
    embed = models["text-embedding-004"].capabilities
    assert embed is not None
    assert (embed.can_chat, embed.can_embed) == (False, True)
    assert len(fake.requests) == 2
    assert all(h["x-goog-api-key"] == "gk-test" for _, _, h in fake.requests)


async def test_gemini_without_a_key_is_not_configured(http: Http) -> None:
    driver = driver_for("gemini", "http://127.0.0.1:9", http, http.settings, api_key=None)
    with pytest.raises(ProviderUnreachableError, match="API key not configured"):
        await driver.list_models()


async def test_gemini_with_a_wrong_key_is_a_bad_response(http: Http) -> None:
    async with serve(FakeGemini()) as served:
        driver = driver_for("gemini", served.url, http, http.settings, api_key="wrong")
        with pytest.raises(BadProviderResponseError, match="API key not valid"):
            await driver.list_models()


@pytest.mark.parametrize("kind", ["vllm", "openai", "gemini"])
async def test_only_ollama_pulls_and_deletes(http: Http, kind: str) -> None:
    driver = driver_for(kind, "http://127.0.0.1:9", http, http.settings, api_key="k")
    with pytest.raises(UnsupportedOperationError):
        async for _ in driver.pull("m:1"):
            pass
    with pytest.raises(UnsupportedOperationError):
        await driver.delete("m:1")


@pytest.mark.parametrize("suffix", ["", "/v1", "/v1/"])
async def test_openai_compatible_lists_models_with_or_without_v1(http: Http, suffix: str) -> None:
    fake = FakeOpenAI(models={"qwen2.5:7b": 32768, "gpt-4o": 0}, api_key="sk-1")
    async with serve(fake) as served:
        driver = driver_for("vllm", served.url + suffix, http, http.settings, api_key="sk-1")
        models = {m.name: m for m in await driver.list_models()}
    assert set(models) == {"qwen2.5:7b", "gpt-4o"}
    qwen = models["qwen2.5:7b"].capabilities
    assert qwen is not None
    assert qwen.context_length == 32768
    assert models["gpt-4o"].capabilities is None  # the API does not say; declarations decide
    assert fake.requests[-1][1] == "/v1/models"


async def test_openai_compatible_with_a_wrong_key_is_a_bad_response(
    http: Http,
) -> None:
    async with serve(FakeOpenAI(models={"m": 0}, api_key="right")) as served:
        driver = driver_for("openai", served.url, http, http.settings, api_key="wrong")
        with pytest.raises(BadProviderResponseError, match="401"):
            await driver.list_models()
