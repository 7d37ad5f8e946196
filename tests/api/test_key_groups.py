"""A key limited to groups reaches only their models, on every model route; others are 404."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest

from runtime.app import create_app
from runtime.config import Settings
from tests.api.gateway_setup import backend, declare_model, group, routable
from tests.api.keys_setup import ADMIN, TOKEN, make_key
from tests.fakes.loopback import serve
from tests.fakes.ollama_fake import FakeOllama

HELLO = [{"role": "user", "content": "hi"}]
CHAIN = {
    "id": "uses-b",
    "tasks": [
        {
            "id": "answer",
            "handler": "model_execution",
            "execute_config": {"model": "b"},
            "transition": {"branches": [{"operator": "default", "goto": "end"}]},
        }
    ],
}


class Limited(msgspec.Struct):
    api: httpx.AsyncClient
    inside: dict[str, str]  # headers of a key limited to group one (model a)
    fake: FakeOllama


@pytest.fixture
async def limited(settings: Settings) -> AsyncIterator[Limited]:
    """One backend in two groups: `one` declares model a, `two` declares model b."""
    fake = FakeOllama()
    fake.add_model("a", caps=["completion"])
    fake.add_model("b", caps=["completion"])
    fast = msgspec.structs.replace(settings, reconcile_interval=0.2, api_token=TOKEN)
    async with (
        serve(fake) as served,
        serve(create_app(fast), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10, headers=ADMIN) as api,
    ):
        one, two = await group(api, "one"), await group(api, "two")
        await declare_model(api, one, "a", canPrompt=True)
        await declare_model(api, two, "b", canPrompt=True)
        backend_id = await backend(api, one, served.url, "ollama", "shared")
        assert (await api.post(f"/backend-affinity/{two}/backends/{backend_id}")).status_code == 201
        await routable(api, backend_id, "a")
        await routable(api, backend_id, "b")
        assert (await api.post("/taskchains", json=CHAIN)).status_code == 201
        secret = await make_key(api, "use", groups=["one"])
        yield Limited(api=api, inside={"X-API-Key": secret}, fake=fake)


def chats(fake: FakeOllama, model: str) -> int:
    return sum(
        1
        for _, path, body in fake.requests
        if path == "/api/chat" and str(body.get("model", "")).startswith(model)
    )


async def test_limited_key_uses_models_of_its_groups(limited: Limited) -> None:
    api, key = limited.api, limited.inside
    chat = await api.post(
        "/v1/chat/completions", json={"model": "a", "messages": HELLO}, headers=key
    )
    assert chat.status_code == 200, chat.text
    ollama = await api.post(
        "/api/chat", json={"model": "a", "messages": HELLO, "stream": False}, headers=key
    )
    assert ollama.status_code == 200, ollama.text
    assert (await api.get("/v1/models/a", headers=key)).status_code == 200


async def test_model_outside_its_groups_is_not_found_on_every_route(limited: Limited) -> None:
    api, key = limited.api, limited.inside
    before = chats(limited.fake, "b")
    calls = [
        ("POST", "/v1/chat/completions", {"model": "b", "messages": HELLO}),
        ("POST", "/v1/chat/completions", {"model": "b", "messages": HELLO, "stream": True}),
        ("POST", "/v1/completions", {"model": "b", "prompt": "hi"}),
        ("POST", "/v1/embeddings", {"model": "b", "input": "hi"}),
        ("GET", "/v1/models/b", None),
        ("POST", "/api/chat", {"model": "b", "messages": HELLO, "stream": False}),
        ("POST", "/api/generate", {"model": "b", "prompt": "hi", "stream": False}),
        ("POST", "/api/embed", {"model": "b", "input": "hi"}),
        ("POST", "/api/show", {"model": "b"}),
        ("POST", "/execute", {"prompt": "hi", "model_name": "b"}),
        ("POST", "/openai/uses-b/v1/chat/completions", {"model": "b", "messages": HELLO}),
    ]
    for method, path, body in calls:
        response = await api.request(method, path, json=body, headers=key)
        assert response.status_code == 404, (path, response.text)
        if not path.startswith("/api/"):
            assert response.json()["error"]["code"] == "model_not_found", (path, response.text)
    assert chats(limited.fake, "b") == before  # nothing reached the backend
    for method, path, body in calls:  # the same calls serve an unlimited credential
        unknown = await api.request(method, path, json=body, headers=ADMIN)
        assert unknown.status_code != 404 or path == "/v1/embeddings", (path, unknown.text)
    assert chats(limited.fake, "b") > before


async def test_inline_chain_with_a_model_outside_answers_as_for_an_unknown_model(
    limited: Limited,
) -> None:
    def tasks(model: str) -> dict[str, object]:
        task = CHAIN["tasks"][0] | {"execute_config": {"model": model}}  # type: ignore[index]
        chain = CHAIN | {"tasks": [task]}
        return {"input": {"messages": HELLO}, "inputType": "chat_history", "chain": chain}

    api = limited.api
    outside = await api.post("/tasks", json=tasks("b"), headers=limited.inside)
    unknown = await api.post("/tasks", json=tasks("nosuch"), headers=ADMIN)
    assert outside.status_code == unknown.status_code
    assert outside.json()["error"]["message"].endswith("model 'b' not found")
    assert (await api.post("/tasks", json=tasks("b"), headers=ADMIN)).status_code == 200


async def test_model_lists_show_only_what_the_key_may_use(limited: Limited) -> None:
    api, key = limited.api, limited.inside
    listed = (await api.get("/v1/models", headers=key)).json()["data"]
    assert [entry["id"] for entry in listed] == ["a"]
    everything = (await api.get("/v1/models", headers=ADMIN)).json()["data"]
    assert sorted(entry["id"] for entry in everything) == ["a", "b"]
    tags = (await api.get("/api/tags", headers=key)).json()["models"]
    assert [tag["name"].split(":")[0] for tag in tags] == ["a"]
    running = (await api.get("/api/ps", headers=key)).json()["models"]
    assert [model["name"].split(":")[0] for model in running] == ["a"]


async def test_key_limited_to_an_unknown_group_reaches_nothing(limited: Limited) -> None:
    api = limited.api
    nowhere = {"X-API-Key": await make_key(api, "use", groups=["no-such-group"])}
    assert (await api.get("/v1/models", headers=nowhere)).json()["data"] == []
    chat = await api.post(
        "/v1/chat/completions", json={"model": "a", "messages": HELLO}, headers=nowhere
    )
    assert chat.status_code == 404


async def test_inline_chain_naming_a_model_outside_the_groups_is_model_not_found(
    limited: Limited,
) -> None:
    body = {"input": {"messages": HELLO}, "inputType": "chat_history", "chain": CHAIN}
    response = await limited.api.post("/tasks", json=body, headers=limited.inside)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "model_not_found"
