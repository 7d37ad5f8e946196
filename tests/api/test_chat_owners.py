"""Chats belong to their creator: another key sees none of them unless an entry shares one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest

from runtime.config import Settings
from tests.api.chat_setup import ChatStack, chat_stack
from tests.api.keys_setup import ADMIN, TOKEN


class Keys(msgspec.Struct):
    stack: ChatStack
    alice: dict[str, str]
    bob: dict[str, str]
    ids: dict[str, str]  # key name -> key id


@pytest.fixture
async def keys(settings: Settings) -> AsyncIterator[Keys]:
    guarded = msgspec.structs.replace(settings, api_token=TOKEN)
    async with chat_stack(guarded, headers=ADMIN) as stack:
        headers, ids = {}, {}
        for name in ("alice", "bob"):
            created = await stack.api.post("/keys", json={"name": name, "scopes": ["use"]})
            assert created.status_code == 201, created.text
            headers[name] = {"X-API-Key": created.json()["secret"]}
            ids[name] = created.json()["id"]
        yield Keys(stack=stack, alice=headers["alice"], bob=headers["bob"], ids=ids)


async def alices_chat(keys: Keys) -> str:
    api = keys.stack.api
    created = await api.post("/chats", json={"subject": "mine", "model": "m"}, headers=keys.alice)
    assert created.status_code == 201, created.text
    assert created.json()["owner"] == keys.ids["alice"]
    chat_id = str(created.json()["id"])
    said = await api.post(f"/chats/{chat_id}/chat", json={"message": "hi"}, headers=keys.alice)
    assert said.status_code == 200, said.text
    return chat_id


async def test_another_key_cannot_see_or_touch_a_chat_it_does_not_own(keys: Keys) -> None:
    api = keys.stack.api
    chat_id = await alices_chat(keys)
    answer_id = (await api.get(f"/chats/{chat_id}", headers=keys.alice)).json()["messages"][1]["id"]
    assert (await api.get("/chats", headers=keys.bob)).json() == []
    tried = [
        await api.get(f"/chats/{chat_id}", headers=keys.bob),
        await api.post(f"/chats/{chat_id}/chat", json={"message": "x"}, headers=keys.bob),
        await api.post(
            f"/chats/{chat_id}/chat", json={"message": "x", "stream": True}, headers=keys.bob
        ),
        await api.post(
            f"/chats/{chat_id}/instruction", json={"instruction": "x"}, headers=keys.bob
        ),
        await api.post(
            f"/chats/{chat_id}/messages/{answer_id}/feedback",
            json={"rating": "up"},
            headers=keys.bob,
        ),
        await api.delete(f"/chats/{chat_id}", headers=keys.bob),
    ]
    assert [response.status_code for response in tried] == [404] * len(tried)
    missing = (await api.get("/chats/no-such-chat", headers=keys.bob)).json()
    assert tried[0].json()["error"]["message"] == missing["error"]["message"].replace(
        "no-such-chat", chat_id
    )
    history = (await api.get(f"/chats/{chat_id}", headers=keys.alice)).json()
    assert [m["content"] for m in history["messages"]] == ["hi", "echo: hi"]
    assert history["messages"][1]["feedback"] is None
    assert [c["id"] for c in (await api.get("/chats", headers=keys.alice)).json()] == [chat_id]
    assert [c["owner"] for c in (await api.get("/chats")).json()] == [keys.ids["alice"]]  # admin


async def test_an_access_entry_lets_another_key_view_then_edit_a_chat(keys: Keys) -> None:
    api = keys.stack.api
    chat_id = await alices_chat(keys)
    await api.post("/chats", json={"subject": "private"}, headers=keys.alice)
    entry = {
        "identity": keys.ids["bob"],
        "resource": chat_id,
        "resourceType": "chat",
        "permission": "view",
    }
    shared = await api.post("/access-control", json=entry)
    assert shared.status_code == 201, shared.text
    assert [c["id"] for c in (await api.get("/chats", headers=keys.bob)).json()] == [chat_id]
    seen = await api.get(f"/chats/{chat_id}", headers=keys.bob)
    assert seen.status_code == 200
    assert [m["content"] for m in seen.json()["messages"]] == ["hi", "echo: hi"]
    refused = await api.post(f"/chats/{chat_id}/chat", json={"message": "x"}, headers=keys.bob)
    assert refused.status_code == 403
    assert (await api.delete(f"/chats/{chat_id}", headers=keys.bob)).status_code == 403
    assert len((await api.get(f"/chats/{chat_id}", headers=keys.alice)).json()["messages"]) == 2

    upgraded = await api.put(f"/access-control/{shared.json()['id']}", json={"permission": "edit"})
    assert upgraded.status_code == 200, upgraded.text
    said = await api.post(f"/chats/{chat_id}/chat", json={"message": "me too"}, headers=keys.bob)
    assert said.status_code == 200, said.text
    assert (await api.delete(f"/chats/{chat_id}", headers=keys.bob)).status_code == 403
    assert (await api.delete(f"/chats/{chat_id}", headers=keys.alice)).status_code == 200
