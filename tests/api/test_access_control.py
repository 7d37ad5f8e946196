"""Access-control entries through HTTP, and chains seen and changed only as entries allow."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.app import create_app
from runtime.config import Settings
from tests.api.keys_setup import ADMIN, TOKEN

Client = AsyncTestClient[Litestar]
TO_END = {"branches": [{"operator": "default", "goto": "end"}]}


def chain(chain_id: str) -> dict[str, Any]:
    return {"id": chain_id, "tasks": [{"id": "t", "handler": "noop", "transition": TO_END}]}


class World(msgspec.Struct):
    client: Client
    alice: dict[str, str]
    bob: dict[str, str]
    ids: dict[str, str]  # key name -> key id


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[World]:
    app = create_app(msgspec.structs.replace(settings, api_token=TOKEN))
    async with AsyncTestClient(app) as client:
        headers, ids = {}, {}
        for name in ("alice", "bob"):
            created = await client.post(
                "/keys", json={"name": name, "scopes": ["manage", "use"]}, headers=ADMIN
            )
            headers[name] = {"X-API-Key": created.json()["secret"]}
            ids[name] = created.json()["id"]
        for chain_id in ("alices", "bobs", "shared", "free"):
            saved = await client.post("/taskchains", json=chain(chain_id), headers=ADMIN)
            assert saved.status_code == 201, saved.text
        for identity, resource, permission in (
            ("alice", "alices", "manage"),
            ("bob", "bobs", "manage"),
            ("alice", "shared", "edit"),
            ("bob", "shared", "view"),
        ):
            entry = {
                "identity": ids[identity],
                "resource": resource,
                "resourceType": "chain",
                "permission": permission,
            }
            response = await client.post("/access-control", json=entry, headers=ADMIN)
            assert response.status_code == 201, response.text
        yield World(client=client, alice=headers["alice"], bob=headers["bob"], ids=ids)


async def listed(world: World, headers: dict[str, str]) -> set[str]:
    response = await world.client.get("/taskchains", headers=headers)
    assert response.status_code == 200
    return {chain["id"] for chain in response.json()}


async def test_permissions_are_listed(world: World) -> None:
    response = await world.client.get("/permissions", headers=world.alice)
    assert response.json() == ["none", "view", "edit", "manage"]


async def test_each_identity_lists_only_the_chains_it_may_view(world: World) -> None:
    assert await listed(world, world.alice) == {"alices", "shared", "free"}
    assert await listed(world, world.bob) == {"bobs", "shared", "free"}
    assert await listed(world, ADMIN) == {"alices", "bobs", "shared", "free"}


async def test_a_chain_without_a_view_entry_does_not_exist_for_the_caller(world: World) -> None:
    client = world.client
    for method in ("GET", "DELETE"):
        response = await client.request(method, "/taskchains/alices", headers=world.bob)
        assert response.status_code == 404, method
    put = await client.put("/taskchains/alices", json=chain("alices"), headers=world.bob)
    assert put.status_code == 404
    chat = await client.post(
        "/openai/alices/v1/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
        headers=world.bob,
    )
    assert chat.status_code == 404
    assert (await client.get("/taskchains/alices", headers=world.alice)).status_code == 200


async def test_view_without_edit_is_forbidden_and_changes_nothing(world: World) -> None:
    client = world.client
    assert (await client.get("/taskchains/shared", headers=world.bob)).status_code == 200
    changed = chain("shared") | {"description": "bob was here"}
    for response in (
        await client.put("/taskchains/shared", json=changed, headers=world.bob),
        await client.post("/taskchains", json=changed, headers=world.bob),
        await client.delete("/taskchains/shared", headers=world.bob),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["type"] == "permission_error"
    kept = (await client.get("/taskchains/shared", headers=ADMIN)).json()
    assert "bob was here" not in str(kept)
    assert (
        await client.put("/taskchains/shared", json=changed, headers=world.alice)
    ).status_code == 200
    assert (await client.delete("/taskchains/shared", headers=world.alice)).status_code == 403


async def test_manage_allows_deleting_and_chains_without_entries_follow_scopes(
    world: World,
) -> None:
    client = world.client
    assert (await client.delete("/taskchains/alices", headers=world.alice)).status_code == 200
    assert (await client.delete("/taskchains/free", headers=world.bob)).status_code == 200


async def test_entries_are_listed_by_identity_changed_and_deleted(world: World) -> None:
    client = world.client
    mine = await client.get("/access-control", params={"identity": world.ids["bob"]}, headers=ADMIN)
    assert {entry["resource"] for entry in mine.json()} == {"bobs", "shared"}
    shared = next(entry for entry in mine.json() if entry["resource"] == "shared")
    raised = await client.put(
        f"/access-control/{shared['id']}", json={"permission": "edit"}, headers=ADMIN
    )
    assert raised.status_code == 200
    assert raised.json()["permission"] == "edit"
    changed = chain("shared") | {"description": "now bob may"}
    assert (
        await client.put("/taskchains/shared", json=changed, headers=world.bob)
    ).status_code == 200
    assert (
        await client.delete(f"/access-control/{shared['id']}", headers=ADMIN)
    ).status_code == 200
    assert (await client.get("/taskchains/shared", headers=world.bob)).status_code == 404
    assert (await client.get(f"/access-control/{shared['id']}", headers=ADMIN)).status_code == 404


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"permission": "owner"}, "permission"),
        ({"resourceType": "planet"}, "resourceType"),
        ({"identity": ""}, "identity"),
        ({"resource": ""}, "resource"),
    ],
)
async def test_bad_entry_is_refused_and_nothing_changes(
    world: World, change: dict[str, str], param: str
) -> None:
    before = (await world.client.get("/access-control", headers=ADMIN)).json()
    entry = {"identity": "x", "resource": "free", "resourceType": "chain", "permission": "view"}
    response = await world.client.post("/access-control", json=entry | change, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["error"]["param"] == param
    assert (await world.client.get("/access-control", headers=ADMIN)).json() == before


async def test_duplicate_entry_is_a_conflict(world: World) -> None:
    entry = {
        "identity": world.ids["alice"],
        "resource": "alices",
        "resourceType": "chain",
        "permission": "view",
    }
    response = await world.client.post("/access-control", json=entry, headers=ADMIN)
    assert response.status_code == 409


async def test_a_group_with_entries_is_seen_and_changed_only_as_they_allow(world: World) -> None:
    client = world.client
    created = await client.post(
        "/groups", json={"name": "alices-group", "purposeType": "p"}, headers=ADMIN
    )
    group_id = created.json()["id"]
    entry = {
        "identity": world.ids["alice"],
        "resource": group_id,
        "resourceType": "group",
        "permission": "view",
    }
    assert (await client.post("/access-control", json=entry, headers=ADMIN)).status_code == 201
    for route in (f"/groups/{group_id}", f"/model-affinity/{group_id}/models"):
        assert (await client.get(route, headers=world.bob)).status_code == 404, route
        assert (await client.get(route, headers=world.alice)).status_code == 200, route
    renamed = {"name": "taken-over"}
    assert (
        await client.put(f"/groups/{group_id}", json=renamed, headers=world.bob)
    ).status_code == 404
    for response in (
        await client.put(f"/groups/{group_id}", json=renamed, headers=world.alice),
        await client.delete(f"/groups/{group_id}", headers=world.alice),
        await client.post(f"/model-affinity/{group_id}/models/m", headers=world.alice),
    ):
        assert response.status_code == 403, response.text
    names = {g["name"] for g in (await client.get("/groups", headers=world.bob)).json()}
    assert "alices-group" not in names
    names = {g["name"] for g in (await client.get("/groups", headers=world.alice)).json()}
    assert "alices-group" in names
    kept = (await client.get(f"/groups/{group_id}", headers=ADMIN)).json()
    assert kept["name"] == "alices-group"
    assert (await client.get("/group-by-name/alices-group", headers=world.bob)).status_code == 404
    assert (await client.get("/group-by-name/alices-group", headers=world.alice)).is_success
    for who, shown in ((world.bob, False), (world.alice, True)):
        found = (await client.get("/group-by-purpose/p", headers=who)).json()
        assert ("alices-group" in {g["name"] for g in found}) is shown
