"""Access entries on folders and files: two identities searching, listing, downloading and
asking the rag chain never see each other's files; changes need edit or manage.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from runtime.chainstore import SHIPPED
from runtime.config import Settings
from tests.api.keys_setup import ADMIN, TOKEN, make_key
from tests.api.knowledge_setup import knowledge_server, put_file, settled
from tests.fakes.ollama_fake import FakeOllama

QUESTION = "What does the harbour office charge for anchors?"
TEXTS = {
    "/alice/a.txt": b"The harbour office charges twelve coins for anchors, says alice.",
    "/alice/shared/s.txt": b"The harbour office charges ten coins for anchors when shared.",
    "/bob/b.txt": b"The harbour office charges nine coins for anchors, says bob.",
    "/p.txt": b"The harbour office charges eight coins for anchors in public.",
}
ALICE_SEES = {"/alice/a.txt", "/alice/shared/s.txt", "/p.txt"}
BOB_SEES = {"/bob/b.txt", "/alice/shared/s.txt", "/p.txt"}


class World(msgspec.Struct):
    client: httpx.AsyncClient
    fake: FakeOllama
    alice: dict[str, str]
    bob: dict[str, str]
    ids: dict[str, str]  # path -> node id


async def folder(client: httpx.AsyncClient, name: str, parent: str | None = None) -> str:
    body = {"name": name} | ({"parentId": parent} if parent else {})
    created = await client.post("/folders", json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def entry(client: httpx.AsyncClient, who: str, kind: str, node: str, level: str) -> None:
    body = {"identity": who, "resource": node, "resourceType": kind, "permission": level}
    assert (await client.post("/access-control", json=body)).status_code == 201


@pytest.fixture
async def world(settings: Settings, repo_root: Path) -> AsyncIterator[World]:
    fake = FakeOllama(word_vectors=True)
    seeded = msgspec.structs.replace(settings, chains_dir=str(SHIPPED))
    async with knowledge_server(
        seeded, fake=fake, chat=True, headers=ADMIN, api_token=TOKEN
    ) as client:
        ids = {"/alice": await folder(client, "alice"), "/bob": await folder(client, "bob")}
        ids["/alice/shared"] = await folder(client, "shared", ids["/alice"])
        for path, text in TEXTS.items():
            parent, _, name = path.rpartition("/")
            extra = {"parentId": ids[parent]} if parent else {}
            ids[path] = await put_file(client, name, text, **extra)
        for path in TEXTS:
            await settled(client, ids[path])
        keys: dict[str, dict[str, str]] = {}
        for name in ("alice", "bob"):
            created = await client.post("/keys", json={"name": name, "scopes": ["manage", "use"]})
            keys[name] = {"X-API-Key": created.json()["secret"]}
            ids[name] = created.json()["id"]
        await entry(client, ids["alice"], "folder", ids["/alice"], "manage")
        await entry(client, ids["bob"], "folder", ids["/bob"], "manage")
        await entry(client, ids["bob"], "folder", ids["/alice/shared"], "view")  # inside alice's
        await entry(client, ids["alice"], "folder", ids["/alice/shared"], "manage")
        yield World(client=client, fake=fake, alice=keys["alice"], bob=keys["bob"], ids=ids)


async def found(world: World, headers: dict[str, str], **params: Any) -> set[str]:
    response = await world.client.get(
        "/search", params={"q": QUESTION, "topk": 10} | params, headers=headers
    )
    assert response.status_code == 200, response.text
    return {hit["path"] for hit in response.json()["results"]}


@pytest.mark.parametrize("mode", ["hybrid", "vector", "keyword"])
async def test_two_identities_searching_never_see_each_others_chunks(
    world: World, mode: str
) -> None:
    assert await found(world, world.alice, mode=mode) == ALICE_SEES
    assert await found(world, world.bob, mode=mode) == BOB_SEES
    assert await found(world, ADMIN, mode=mode) == set(TEXTS)
    assert await found(world, world.bob, mode=mode, path="/alice") == {"/alice/shared/s.txt"}


async def test_the_rag_chain_retrieves_only_what_the_caller_may_view(world: World) -> None:
    for who, sees in ((world.alice, ALICE_SEES), (world.bob, BOB_SEES)):
        world.fake.chat.reply("Some coins [1].")
        body = {"model": "m", "messages": [{"role": "user", "content": QUESTION}]}
        answer = await world.client.post("/openai/rag/v1/chat/completions", json=body, headers=who)
        assert answer.status_code == 200, answer.text
        assert {source["path"] for source in answer.json()["sources"]} <= sees
        sent: Any = next(b for _, p, b in reversed(world.fake.requests) if p == "/api/chat")
        prompt = " ".join(str(m["content"]) for m in sent["messages"])
        for path, text in TEXTS.items():
            if path not in sees:
                assert text.decode() not in prompt


async def test_listing_shows_only_what_the_caller_may_view(world: World) -> None:
    async def listed(headers: dict[str, str], path: str | None = None) -> set[str]:
        params = {"path": path} if path else {}
        response = await world.client.get("/files", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return {node["path"] for node in response.json()}

    assert await listed(world.bob) == {"/bob", "/alice/shared", *BOB_SEES}
    assert await listed(world.bob, "/alice") == {"/alice/shared", "/alice/shared/s.txt"}
    assert await listed(world.bob, "/alice/a.txt") == set()
    assert await listed(world.alice) == {"/alice", "/alice/shared", *ALICE_SEES}
    assert len(await listed(ADMIN)) == len(TEXTS) + 3


async def test_a_file_the_caller_may_not_view_does_not_exist_for_it(world: World) -> None:
    hidden = world.ids["/alice/a.txt"]
    for path in (f"/files/{hidden}", f"/files/{hidden}/download"):
        refused = await world.client.get(path, headers=world.bob)
        assert refused.status_code == 404, refused.text
        assert refused.json()["error"]["type"] == "invalid_request_error"
        assert (await world.client.get(path, headers=world.alice)).status_code == 200
    shared = await world.client.get(
        f"/files/{world.ids['/alice/shared/s.txt']}/download", headers=world.bob
    )
    assert shared.content == TEXTS["/alice/shared/s.txt"]
    changes = [
        ("PUT", f"/files/{hidden}/name", {"json": {"name": "x.txt"}}),
        ("DELETE", f"/files/{hidden}", {}),
        ("PUT", f"/folders/{world.ids['/alice']}/name", {"json": {"name": "mine"}}),
        ("POST", "/folders", {"json": {"name": "in", "parentId": world.ids["/alice"]}}),
    ]
    for method, path, extra in changes:
        response = await world.client.request(method, path, headers=world.bob, **extra)
        assert response.status_code == 404, (path, response.text)


async def test_viewing_without_edit_or_manage_is_forbidden_to_change(world: World) -> None:
    shared, bob = world.ids["/alice/shared/s.txt"], world.bob
    changes = [
        ("PUT", f"/files/{shared}/name", {"json": {"name": "x.txt"}}),
        ("PUT", f"/files/{shared}/move", {"json": {"newParentId": world.ids["/bob"]}}),
        ("PUT", f"/files/{shared}", {"files": {"file": ("s.txt", b"mine now", "text/plain")}}),
        ("DELETE", f"/files/{shared}", {}),
        ("DELETE", f"/folders/{world.ids['/alice/shared']}", {}),
        ("POST", "/folders", {"json": {"name": "in", "parentId": world.ids["/alice/shared"]}}),
        (
            "POST",
            "/files",
            {
                "files": {"file": ("n.txt", b"new", "text/plain")},
                "data": {"parentId": world.ids["/alice/shared"]},
            },
        ),
        (
            "PUT",
            f"/files/{world.ids['/bob/b.txt']}/move",
            {"json": {"newParentId": world.ids["/alice/shared"]}},
        ),
    ]
    for method, path, extra in changes:
        response = await world.client.request(method, path, headers=bob, **extra)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["error"]["type"] == "permission_error"
    after = await world.client.get(f"/files/{shared}/download", headers=ADMIN)
    assert after.content == TEXTS["/alice/shared/s.txt"]  # nothing changed
    listed = await world.client.get("/files", params={"path": "/alice/shared"}, headers=ADMIN)
    assert [node["path"] for node in listed.json()] == ["/alice/shared/s.txt"]
    renamed = await world.client.put(
        f"/files/{world.ids['/bob/b.txt']}/name", json={"name": "c.txt"}, headers=bob
    )
    assert renamed.status_code == 200, renamed.text  # bob manages his own folder
    removed = await world.client.delete(f"/files/{shared}", headers=world.alice)
    assert removed.status_code == 200


async def test_keywords_come_only_from_files_the_caller_may_view(world: World) -> None:
    async def keywords(headers: dict[str, str]) -> set[str]:
        response = await world.client.get("/keywords", params={"limit": 500}, headers=headers)
        assert response.status_code == 200, response.text
        return set(response.json())

    bob, alice = await keywords(world.bob), await keywords(world.alice)
    assert "nine" in bob
    assert "twelve" not in bob
    assert "twelve" in alice
    assert "nine" not in alice
    assert {"nine", "twelve"} <= await keywords(ADMIN)


async def test_a_caller_without_entries_anywhere_sees_only_ungoverned_files(world: World) -> None:
    carol = {"X-API-Key": await make_key(world.client, "use", "read")}
    assert await found(world, carol) == {"/p.txt"}
