"""Affinity groups through HTTP: /groups, /group-by-name and /group-by-purpose."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]

BUILT_IN = {
    "internal_embed_group": ("Embedder", "Internal Embeddings"),
    "internal_tasks_group": ("Tasks", "Internal Tasks"),
    "internal_chat_group": ("Chat", "Internal Chat"),
}
IMMUTABLE = "affinity group internal_embed_group is immutable"
MODEL = {"model": "smollm2:135m", "contextLength": 1024, "canChat": True, "canPrompt": True}


def assert_error(body: dict[str, Any], code: str, param: str | None = None) -> str:
    """Check the error envelope and return its message."""
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "code", "param"}
    assert body["error"]["code"] == code
    expected_type = "authorization_error" if code == "forbidden" else "invalid_request_error"
    assert body["error"]["type"] == expected_type
    assert body["error"]["param"] == param
    message: str = body["error"]["message"]
    assert message
    return message


def moment(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


async def all_groups(client: Client) -> list[dict[str, Any]]:
    response = await client.get("/groups")
    assert response.status_code == 200
    groups: list[dict[str, Any]] = response.json()
    return groups


async def create_group(client: Client, name: str, purpose: str = "chat") -> dict[str, Any]:
    response = await client.post("/groups", json={"name": name, "purposeType": purpose})
    assert response.status_code == 201, response.text
    group: dict[str, Any] = response.json()
    return group


async def create_backend(client: Client, name: str = "vllm-1", port: int = 9) -> dict[str, Any]:
    body = {"name": name, "baseUrl": f"http://127.0.0.1:{port}", "type": "vllm"}
    response = await client.post("/backends", json=body)
    assert response.status_code == 201, response.text
    backend: dict[str, Any] = response.json()
    return backend


async def create_model(client: Client, name: str = "smollm2:135m") -> dict[str, Any]:
    response = await client.post("/models", json={**MODEL, "model": name})
    assert response.status_code == 201, response.text
    model: dict[str, Any] = response.json()
    assert model["id"] == name
    return model


async def ids_at(client: Client, path: str) -> list[str]:
    response = await client.get(path)
    assert response.status_code == 200
    return [item["id"] for item in response.json()]


# --- built-in groups -----------------------------------------------------------------------


async def test_built_in_groups_are_seeded(client: Client) -> None:
    groups = await all_groups(client)
    assert {g["id"]: (g["name"], g["purposeType"]) for g in groups} == BUILT_IN
    for group in groups:
        assert set(group) == {"id", "name", "purposeType", "createdAt", "updatedAt"}
        assert group["createdAt"].startswith("20")


@pytest.mark.parametrize(("group_id", "name_purpose"), list(BUILT_IN.items()))
async def test_built_in_group_is_found_by_id_name_and_purpose(
    client: Client, group_id: str, name_purpose: tuple[str, str]
) -> None:
    name, purpose = name_purpose
    by_id = await client.get(f"/groups/{group_id}")
    assert by_id.status_code == 200
    assert (by_id.json()["name"], by_id.json()["purposeType"]) == name_purpose
    by_name = await client.get(f"/group-by-name/{name}")
    assert by_name.status_code == 200
    assert by_name.json() == by_id.json()
    by_purpose = await client.get(f"/group-by-purpose/{purpose.replace(' ', '%20')}")
    assert by_purpose.status_code == 200
    assert by_purpose.json() == [by_id.json()]


# --- create ---------------------------------------------------------------------------------


async def test_created_group_gets_a_fresh_uuid_and_real_timestamps(client: Client) -> None:
    response = await client.post(
        "/groups", json={"id": "mine", "name": "small", "purposeType": "chat"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["id"] != "mine"
    assert uuid.UUID(body["id"]).version == 4
    assert body["name"] == "small"
    assert body["purposeType"] == "chat"
    assert body["createdAt"] == body["updatedAt"]
    assert body["createdAt"].startswith("20")
    fetched = await client.get(f"/groups/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == body
    assert body in await all_groups(client)


async def test_duplicate_group_name_is_a_conflict(client: Client) -> None:
    await create_group(client, "small")
    before = await all_groups(client)
    response = await client.post("/groups", json={"name": "small", "purposeType": "other"})
    assert response.status_code == 409
    assert "small" in assert_error(response.json(), "conflict")
    assert await all_groups(client) == before


async def test_built_in_group_name_cannot_be_reused(client: Client) -> None:
    before = await all_groups(client)
    response = await client.post("/groups", json={"name": "Chat", "purposeType": "x"})
    assert response.status_code == 409
    assert_error(response.json(), "conflict")
    assert await all_groups(client) == before


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"name": "", "purposeType": "chat"}, "name"),
        ({"name": "   ", "purposeType": "chat"}, "name"),
        ({"purposeType": "chat"}, "name"),
        ({"name": 5, "purposeType": "chat"}, "name"),
        ({"name": "x", "purposeType": ["chat"]}, "purposeType"),
    ],
)
async def test_invalid_group_is_unprocessable_and_nothing_is_stored(
    client: Client, body: dict[str, Any], param: str
) -> None:
    before = await all_groups(client)
    response = await client.post("/groups", json=body)
    assert response.status_code == 422
    assert_error(response.json(), "unprocessable_entity", param)
    assert await all_groups(client) == before


async def test_body_that_is_not_an_object_is_unprocessable(client: Client) -> None:
    before = await all_groups(client)
    response = await client.post("/groups", json=["small"])
    assert response.status_code == 422
    assert_error(response.json(), "unprocessable_entity")
    assert await all_groups(client) == before


async def test_malformed_group_json_is_a_bad_request(client: Client) -> None:
    before = await all_groups(client)
    response = await client.post(
        "/groups", content=b'{"name": "small",', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert assert_error(response.json(), "bad_request").startswith("invalid json")
    assert await all_groups(client) == before


# --- read -----------------------------------------------------------------------------------


async def test_unknown_group_is_not_found(client: Client) -> None:
    response = await client.get("/groups/nope")
    assert response.status_code == 404
    assert "nope" in assert_error(response.json(), "not_found")


async def test_group_is_found_by_exact_name(client: Client) -> None:
    created = await create_group(client, "My Group", "team chat")
    response = await client.get("/group-by-name/My%20Group")
    assert response.status_code == 200
    assert response.json() == created
    missing = await client.get("/group-by-name/my%20group")
    assert missing.status_code == 404
    assert "my group" in assert_error(missing.json(), "not_found")


async def test_unknown_group_name_is_not_found(client: Client) -> None:
    response = await client.get("/group-by-name/nope")
    assert response.status_code == 404
    assert "nope" in assert_error(response.json(), "not_found")


async def test_groups_by_purpose_with_a_space_match_when_url_encoded(client: Client) -> None:
    first = await create_group(client, "first", "team chat")
    second = await create_group(client, "second", "team chat")
    await create_group(client, "third", "team")
    response = await client.get("/group-by-purpose/team%20chat")
    assert response.status_code == 200
    assert response.json() == [second, first]
    chat = await client.get("/group-by-purpose/Internal%20Chat")
    assert chat.status_code == 200
    assert [g["id"] for g in chat.json()] == ["internal_chat_group"]


async def test_unknown_purpose_lists_as_empty_array(client: Client) -> None:
    response = await client.get("/group-by-purpose/nothing-has-this")
    assert response.status_code == 200
    assert response.json() == []


# --- update ---------------------------------------------------------------------------------


async def test_update_changes_name_and_purpose_and_keeps_creation_time(client: Client) -> None:
    created = await create_group(client, "small", "chat")
    response = await client.put(
        f"/groups/{created['id']}",
        json={
            "id": "ignored",
            "name": "large",
            "purposeType": "embeddings",
            "createdAt": "2001-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == created["id"]
    assert (body["name"], body["purposeType"]) == ("large", "embeddings")
    assert body["createdAt"] == created["createdAt"]
    assert moment(body["updatedAt"]) > moment(created["updatedAt"])
    fetched = await client.get(f"/groups/{created['id']}")
    assert fetched.json() == body
    assert (await client.get("/group-by-name/small")).status_code == 404
    assert (await client.get("/group-by-name/large")).json() == body


async def test_update_to_a_taken_name_is_a_conflict(client: Client) -> None:
    await create_group(client, "one")
    second = await create_group(client, "two")
    response = await client.put(f"/groups/{second['id']}", json={"name": "one", "purposeType": ""})
    assert response.status_code == 409
    assert_error(response.json(), "conflict")
    assert (await client.get(f"/groups/{second['id']}")).json() == second


async def test_update_with_empty_name_is_unprocessable(client: Client) -> None:
    created = await create_group(client, "small")
    response = await client.put(f"/groups/{created['id']}", json={"name": "", "purposeType": "x"})
    assert response.status_code == 422
    assert_error(response.json(), "unprocessable_entity", "name")
    assert (await client.get(f"/groups/{created['id']}")).json() == created


async def test_update_of_unknown_group_is_not_found(client: Client) -> None:
    before = await all_groups(client)
    response = await client.put("/groups/nope", json={"name": "x", "purposeType": "y"})
    assert response.status_code == 404
    assert "nope" in assert_error(response.json(), "not_found")
    assert await all_groups(client) == before


async def test_embedding_group_cannot_be_updated(client: Client) -> None:
    before = await all_groups(client)
    response = await client.put(
        "/groups/internal_embed_group", json={"name": "Renamed", "purposeType": "x"}
    )
    assert response.status_code == 422
    assert assert_error(response.json(), "unprocessable_entity") == IMMUTABLE
    assert await all_groups(client) == before


# --- delete ---------------------------------------------------------------------------------


async def test_embedding_group_cannot_be_deleted(client: Client) -> None:
    before = await all_groups(client)
    response = await client.delete("/groups/internal_embed_group")
    assert response.status_code == 404
    assert assert_error(response.json(), "not_found") == IMMUTABLE
    assert await all_groups(client) == before


async def test_delete_answers_literal_and_the_group_is_gone(client: Client) -> None:
    created = await create_group(client, "small")
    response = await client.delete(f"/groups/{created['id']}")
    assert response.status_code == 200
    assert response.json() == "deleted"
    assert response.headers["content-type"].startswith("application/json")
    gone = await client.get(f"/groups/{created['id']}")
    assert gone.status_code == 404
    assert_error(gone.json(), "not_found")
    again = await client.delete(f"/groups/{created['id']}")
    assert again.status_code == 404
    assert_error(again.json(), "not_found")
    assert {g["id"] for g in await all_groups(client)} == set(BUILT_IN)


# --- pagination -----------------------------------------------------------------------------


async def test_groups_page_newest_first_with_a_strict_cursor(client: Client) -> None:
    created = [(await create_group(client, f"g{n}"))["id"] for n in range(5)]
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        response = await client.get("/groups", params=params)
        assert response.status_code == 200
        page = response.json()
        if not page:
            break
        pages.append([g["id"] for g in page])
        cursor = page[-1]["createdAt"]
    assert pages[0] == created[:-3:-1]
    assert pages[1] == created[2:0:-1]
    assert pages[2][0] == created[0]
    assert [len(page) for page in pages] == [2, 2, 2, 2]
    rest = [group_id for page in pages[2:] for group_id in page]
    assert rest[0] == created[0]
    assert set(rest[1:]) == set(BUILT_IN)


async def test_groups_by_purpose_page_with_a_cursor(client: Client) -> None:
    created = [(await create_group(client, f"g{n}", "pool"))["id"] for n in range(3)]
    first = (await client.get("/group-by-purpose/pool", params={"limit": "2"})).json()
    assert [g["id"] for g in first] == created[:0:-1]
    rest = await client.get(
        "/group-by-purpose/pool", params={"limit": "2", "cursor": first[-1]["createdAt"]}
    )
    assert [g["id"] for g in rest.json()] == [created[0]]


@pytest.mark.parametrize(
    ("query", "status", "param"),
    [
        ("limit=0", 422, "limit"),
        ("limit=-1", 422, "limit"),
        ("limit=abc", 422, "limit"),
        ("limit=1001", 400, "limit"),
        ("cursor=garbage", 422, "cursor"),
    ],
)
async def test_bad_group_paging_parameters_are_rejected(
    client: Client, query: str, status: int, param: str
) -> None:
    response = await client.get(f"/groups?{query}")
    assert response.status_code == status
    code = "unprocessable_entity" if status == 422 else "bad_request"
    assert_error(response.json(), code, param)


# --- backend membership ---------------------------------------------------------------------
