"""Routing rules through HTTP: group isolation, capabilities, failover, cooldown and recovery."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest

from runtime.app import create_app
from runtime.config import Settings
from tests.api.gateway_setup import backend, declare_model, group, routable
from tests.fakes.loopback import serve
from tests.fakes.ollama_fake import FakeOllama, Pullable
from tests.waiting import eventually

HELLO = [{"role": "user", "content": "hi"}]


def chats(fake: FakeOllama) -> int:
    return sum(1 for method, path, _ in fake.requests if path == "/api/chat")


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    fast = msgspec.structs.replace(settings, reconcile_interval=0.2)
    async with (
        serve(create_app(fast), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10) as client,
    ):
        yield client


async def complete(api: httpx.AsyncClient, model: str = "m") -> httpx.Response:
    return await api.post("/v1/chat/completions", json={"model": model, "messages": HELLO})


async def test_model_never_reaches_a_backend_outside_its_groups(api: httpx.AsyncClient) -> None:
    inside, outside = FakeOllama(), FakeOllama()
    inside.add_model("m")
    outside.add_model("m")
    async with serve(inside) as a, serve(outside) as b:
        g1, g2 = await group(api, "with-model"), await group(api, "without-model")
        await declare_model(api, g1, "m")
        first = await backend(api, g1, a.url, "ollama", "inside")
        await backend(api, g2, b.url, "ollama", "outside")
        await routable(api, first, "m")
        for _ in range(10):
            assert (await complete(api)).status_code == 200
    assert chats(inside) == 10
    assert chats(outside) == 0


async def test_model_without_the_capability_is_not_routed(api: httpx.AsyncClient) -> None:
    fake = FakeOllama()
    fake.add_model("embedder", caps=["embedding"])
    async with serve(fake) as served:
        g = await group(api, "g")
        await declare_model(api, g, "embedder", canChat=False, canEmbed=True, canStream=False)
        await backend(api, g, served.url, "ollama", "o")
        response = await complete(api, "embedder")
    assert response.status_code == 503
    assert "embedder" in response.json()["error"]["message"]
    assert chats(fake) == 0


async def test_killed_backend_fails_over_without_client_errors(api: httpx.AsyncClient) -> None:
    one, two = FakeOllama(), FakeOllama()
    one.add_model("m")
    two.add_model("m")
    async with serve(one) as a, serve(two) as b:
        g = await group(api, "g")
        await declare_model(api, g, "m")
        ids = [
            await backend(api, g, a.url, "ollama", "one"),
            await backend(api, g, b.url, "ollama", "two"),
        ]
        for backend_id in ids:
            await routable(api, backend_id, "m")
        for _ in range(20):  # random tie-break: both used, except with probability 2**-19
            assert (await complete(api)).status_code == 200
        assert chats(one) > 0
        assert chats(two) > 0
        await a.stop()
        before = chats(two)
        for _ in range(20):
            response = await complete(api)
            assert response.status_code == 200, response.text
        assert chats(two) == before + 20


async def test_failing_backend_is_cooled_down_then_used_again(api: httpx.AsyncClient) -> None:
    flaky, steady = FakeOllama(), FakeOllama()
    flaky.add_model("m")
    steady.add_model("m")
    async with serve(flaky) as a, serve(steady) as b:
        g = await group(api, "g")
        await declare_model(api, g, "m")
        for name, served in (("flaky", a), ("steady", b)):
            await routable(api, await backend(api, g, served.url, "ollama", name), "m")
        flaky.chat.fail(status=500, times=1000)
        for _ in range(10):
            assert (await complete(api)).status_code == 200
        assert chats(flaky) == 1  # tried once, then cooled down
        flaky.chat.fail(times=0)
        await asyncio.sleep(1.1)  # first cooldown is one second
        for _ in range(10):
            assert (await complete(api)).status_code == 200
        assert chats(flaky) > 1


async def test_stream_fails_over_before_the_first_byte(api: httpx.AsyncClient) -> None:
    broken, good = FakeOllama(), FakeOllama()
    broken.add_model("m")
    good.add_model("m")
    async with serve(broken) as a, serve(good) as b:
        g = await group(api, "g")
        await declare_model(api, g, "m")
        for name, served in (("broken", a), ("good", b)):
            await routable(api, await backend(api, g, served.url, "ollama", name), "m")
        broken.chat.fail(status=503, times=1000)
        body = {"model": "m", "messages": HELLO, "stream": True}
        for _ in range(3):
            async with api.stream("POST", "/v1/chat/completions", json=body) as response:
                assert response.status_code == 200
                lines = [line async for line in response.aiter_lines() if line]
            assert lines[-1] == "data: [DONE]"


async def test_no_healthy_backend_answers_503_quickly(api: httpx.AsyncClient) -> None:
    fake = FakeOllama()
    fake.add_model("m")
    async with serve(fake) as served:
        g = await group(api, "g")
        await declare_model(api, g, "m")
        await routable(api, await backend(api, g, served.url, "ollama", "o"), "m")
        fake.chat.fail(status=500, times=1000)
        first = await complete(api)
        assert first.status_code == 502
        second = await complete(api)
        assert second.status_code in (502, 503)


async def test_prompt_longer_than_the_context_window_is_not_routed(
    api: httpx.AsyncClient,
) -> None:
    fake = FakeOllama()
    fake.add_model("m")
    async with serve(fake) as served:
        g = await group(api, "g")
        await declare_model(api, g, "m", contextLength=1000)
        await routable(api, await backend(api, g, served.url, "ollama", "o"), "m")
        assert (await complete(api)).status_code == 200
        long = [{"role": "user", "content": "word " * 1000}]  # about 1250 tokens
        response = await api.post("/v1/chat/completions", json={"model": "m", "messages": long})
    assert response.status_code == 503
    assert "context >= 1251" in response.json()["error"]["message"]
    assert chats(fake) == 1


async def test_a_chat_model_streams_though_it_never_declared_can_stream(
    api: httpx.AsyncClient,
) -> None:
    fake = FakeOllama()
    fake.add_model("smollm2:135m")
    async with serve(fake) as served:
        g = await group(api, "g")
        await declare_model(api, g, "smollm2:135m", canStream=False)  # as the README's model
        await routable(api, await backend(api, g, served.url, "ollama", "o"), "smollm2:135m")
        body = {"model": "smollm2:135m", "messages": HELLO, "stream": True}
        async with api.stream("POST", "/v1/chat/completions", json=body) as response:
            assert response.status_code == 200
            lines = [line async for line in response.aiter_lines() if line]
    assert lines[-1] == "data: [DONE]"


async def test_refusals_name_the_cause(api: httpx.AsyncClient) -> None:
    fake = FakeOllama()
    fake.add_model("m")
    fake.add_model("e", caps=["embedding"])
    fake.pullable["slow"] = Pullable(steps=100, delay=0.1)
    fake.pullable["bad"] = Pullable(fail_with="pull model manifest: file does not exist")
    async with serve(fake) as served:
        await declare_model(api, await group(api, "empty"), "lonely")
        g = await group(api, "g")
        await declare_model(api, g, "m", contextLength=100)
        await declare_model(api, g, "e", canChat=False, canEmbed=True)
        await declare_model(api, g, "slow")
        await declare_model(api, g, "bad")
        await routable(api, await backend(api, g, served.url, "ollama", "o"), "m")

        async def refused(model: str, content: str = "hi") -> tuple[int, str]:
            messages = [{"role": "user", "content": content}]
            response = await api.post(
                "/v1/chat/completions", json={"model": model, "messages": messages}
            )
            return response.status_code, response.json()["error"]["message"]

        assert await refused("lonely") == (
            503,
            "no backend can serve model 'lonely': it is not declared in any group that has a "
            "backend",
        )
        status, message = await refused("e")
        assert (status, message.split(": ", 1)[1]) == (503, "o: lacks the capability chat for it")
        status, message = await refused("m", "word " * 500)
        assert status == 503
        assert "o: context too small (100 < 626 tokens)" in message

        async def pulls_settled() -> bool:
            slow = (await refused("slow"))[1]
            return (
                "pull failed" in (await refused("bad"))[1]
                and re.search(r"o: pull at [1-9]\d? %$", slow) is not None
            )

        await eventually(pulls_settled)
        status, message = await refused("bad")
        assert status == 503
        assert "o: pull failed: pull bad: pull model manifest: file does not exist" in message


async def test_chain_endpoint_refuses_with_the_same_status_as_v1(api: httpx.AsyncClient) -> None:
    chain = {
        "id": "c",
        "tasks": [
            {
                "id": "answer",
                "handler": "model_execution",
                "execute_config": {"model": "nowhere"},
                "transition": {"branches": [{"operator": "default", "goto": "end"}]},
            }
        ],
    }
    assert (await api.post("/taskchains", json=chain)).status_code == 201
    await declare_model(api, await group(api, "empty"), "lonely")
    for model, status in (("nowhere", 404), ("lonely", 503)):
        chain["tasks"][0]["execute_config"] = {"model": model}  # type: ignore[index]
        assert (await api.put("/taskchains/c", json=chain)).status_code == 200
        for stream in (False, True):
            body = {"model": model, "messages": HELLO, "stream": stream}
            response = await api.post("/openai/c/v1/chat/completions", json=body)
            assert response.status_code == status, response.text
            direct = await api.post("/v1/chat/completions", json=body)
            assert direct.status_code == status


async def test_a_miss_re_observes_the_backends_before_it_fails(settings: Settings) -> None:
    slow = msgspec.structs.replace(settings, reconcile_interval=3600)  # no cycle will come
    fake = FakeOllama()
    fake.add_model("m")
    async with (
        serve(fake) as served,
        serve(create_app(slow), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10) as api,
    ):
        g = await group(api, "g")
        await declare_model(api, g, "m")
        await declare_model(api, g, "n")  # not on the backend: its pull fails
        await routable(api, await backend(api, g, served.url, "ollama", "o"), "m")
        fake.add_model("n")  # pulled meanwhile (by another replica, or by hand)
        assert (await complete(api, "n")).status_code == 200


async def test_a_streaming_failure_leaves_no_request_counted_in_flight(
    api: httpx.AsyncClient,
) -> None:
    first, second = FakeOllama(), FakeOllama()
    first.add_model("m")
    second.add_model("m")
    async with serve(first) as a, serve(second) as b:
        g = await group(api, "g")
        await declare_model(api, g, "m")
        await routable(api, await backend(api, g, a.url, "ollama", "first"), "m")
        first.chat.latency = 1.0  # the client gives up before the first byte
        body = {"model": "m", "messages": HELLO, "stream": True}
        async with httpx.AsyncClient(base_url=str(api.base_url), timeout=0.3) as impatient:
            with pytest.raises(httpx.ReadTimeout):
                await impatient.post("/v1/chat/completions", json=body)
        await asyncio.sleep(1.2)
        first.chat.latency = 0.0
        abandoned = chats(first)
        await routable(api, await backend(api, g, b.url, "ollama", "second"), "m")
        for _ in range(20):  # least in flight, random among equals: both are used
            assert (await complete(api)).status_code == 200
    assert chats(first) > abandoned
    assert chats(second) > 0


async def test_a_chain_stream_left_before_the_first_token_cancels_the_chain(
    api: httpx.AsyncClient,
) -> None:
    fake = FakeOllama()
    fake.add_model("m")
    fake.chat.latency = 1.0
    async with serve(fake) as served:
        g = await group(api, "g")
        await declare_model(api, g, "m")
        await routable(api, await backend(api, g, served.url, "ollama", "o"), "m")
        chain = {
            "id": "c",
            "tasks": [
                {
                    "id": "answer",
                    "handler": "model_execution",
                    "execute_config": {"model": "m"},
                    "transition": {"branches": [{"operator": "default", "goto": "end"}]},
                }
            ],
        }
        assert (await api.post("/taskchains", json=chain)).status_code == 201
        body = {"model": "m", "messages": HELLO, "stream": True}
        with pytest.raises(httpx.ReadTimeout):
            await api.post("/openai/c/v1/chat/completions", json=body, timeout=0.3)
        await asyncio.sleep(1.5)
    assert fake.chat.sent == 0
    assert fake.chat.abandoned == 1


async def test_a_wrong_backend_url_shows_at_once_grouped_or_not(
    api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{closed.getsockname()[1]}"  # bound, never listening: refused
    closed.close()
    created = await api.post(
        "/backends", json={"name": "nowhere", "baseUrl": url, "type": "ollama"}
    )
    backend_id = created.json()["id"]

    async def shown() -> bool:
        return "connect" in str((await api.get(f"/backends/{backend_id}")).json().get("error"))

    await eventually(shown)
    assert any(r.levelname == "WARNING" and "nowhere" in r.getMessage() for r in caplog.records)
    assert backend_id not in {s["id"] for s in (await api.get("/state")).json()}


async def test_a_finished_pull_is_routable_as_soon_as_the_queue_says_done(
    settings: Settings,
) -> None:
    slow = msgspec.structs.replace(settings, reconcile_interval=3600, provider_timeout=3)
    fake = FakeOllama()
    fake.pullable["p"] = Pullable(steps=2)

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(4096):  # accepts, never answers: a cycle takes the timeout
            pass
        writer.close()

    hanging = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = hanging.sockets[0].getsockname()[1]
    async with (
        hanging,
        serve(fake) as served,
        serve(create_app(slow), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10) as api,
    ):
        g = await group(api, "g")
        await declare_model(api, g, "p")
        await backend(api, g, f"http://127.0.0.1:{port}", "ollama", "hanging")
        await backend(api, g, served.url, "ollama", "o")

        async def pulled() -> bool:
            return "p:latest" in fake.models and not any(
                job.get("status") in ("queued", "running")
                for job in (await api.get("/queue")).json()
            )

        await eventually(pulled)
        response = await complete(api, "p")
        assert response.status_code == 200, response.text


async def test_a_model_declared_after_a_miss_is_known_at_once(api: httpx.AsyncClient) -> None:
    body = {"model": "late", "messages": [{"role": "user", "content": "hi"}]}
    missed = await api.post("/v1/chat/completions", json=body)
    assert missed.status_code == 404
    await declare_model(api, await group(api, "g"), "late")
    known = await api.post("/v1/chat/completions", json=body)  # not the cached miss
    assert known.status_code == 503, known.text
    assert "not declared in any group that has a backend" in known.json()["error"]["message"]
