"""/backends through HTTP: create, list, get, update, delete, and bad input that changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]
OLLAMA = {"name": "ollama-1", "baseUrl": "http://127.0.0.1:11434", "type": "ollama"}


def assert_error(body: dict[str, Any], code: str, param: str | None = None) -> str:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "code", "param"}
    assert body["error"]["code"] == code
    assert body["error"]["param"] == param
    message: str = body["error"]["message"]
    assert message
    return message


async def test_no_backends_lists_as_empty_array(client: Client) -> None:
    response = await client.get("/backends")
    assert response.status_code == 200
    assert response.json() == []


async def test_created_backend_gets_a_fresh_id_and_real_timestamps(client: Client) -> None:
    response = await client.post("/backends", json={**OLLAMA, "id": "mine"})
    assert response.status_code == 201
    body = response.json()
    assert body["id"] != "mine"
    uuid.UUID(body["id"])
    assert {k: body[k] for k in ("name", "baseUrl", "type")} == OLLAMA
    assert body["createdAt"] == body["updatedAt"]
    assert body["createdAt"].startswith("20")


async def test_backend_detail_carries_empty_runtime_fields(client: Client) -> None:
    created = (await client.post("/backends", json=OLLAMA)).json()
    detail = await client.get(f"/backends/{created['id']}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["models"] == []
    assert body["pulledModels"] == []
    # nothing listens on its URL: once observed (grouped or not) that shows as its error
    assert "error" not in body or "connect" in body["error"]
    assert body["createdAt"] == created["createdAt"]
    listed = (await client.get("/backends")).json()
    assert [b["id"] for b in listed] == [created["id"]]
    assert listed[0]["models"] == []


@pytest.mark.parametrize("kind", ["ollama", "vllm", "openai", "gemini"])
async def test_every_backend_type_is_accepted(client: Client, kind: str) -> None:
    response = await client.post(
        "/backends", json={"name": kind, "baseUrl": f"http://{kind}.local:1", "type": kind}
    )
    assert response.status_code == 201
    assert response.json()["type"] == kind


@pytest.mark.parametrize(
    ("body", "param", "needle"),
    [
        ({"baseUrl": "http://a:1", "type": "ollama"}, "name", "name is required"),
        ({"name": "a", "type": "ollama"}, "baseUrl", "baseURL is required"),
        ({"name": "a", "baseUrl": "http://a:1"}, "type", "type must be one of"),
        ({"name": "a", "baseUrl": "http://a:1", "type": "llamafile"}, "type", "must be one of"),
        ({"name": "a", "baseUrl": "not a url", "type": "ollama"}, "baseUrl", "http or https"),
        ({"name": "a", "baseUrl": "ftp://a/", "type": "ollama"}, "baseUrl", "http or https"),
        ({"name": 5, "baseUrl": "http://a:1", "type": "ollama"}, "name", "Expected `str`"),
    ],
)
async def test_invalid_backend_is_rejected_and_nothing_is_stored(
    client: Client, body: dict[str, Any], param: str, needle: str
) -> None:
    response = await client.post("/backends", json=body)
    assert response.status_code == 422
    assert needle in assert_error(response.json(), "unprocessable_entity", param)
    assert (await client.get("/backends")).json() == []


async def test_malformed_json_is_a_bad_request(client: Client) -> None:
    response = await client.post(
        "/backends", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert assert_error(response.json(), "bad_request").startswith("invalid json")
    assert (await client.get("/backends")).json() == []


async def test_body_that_is_not_json_is_unsupported_media(client: Client) -> None:
    response = await client.post(
        "/backends",
        content=b"name=a",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert_error(response.json(), "unsupported_media")


@pytest.mark.parametrize("clash", ["name", "baseUrl"])
async def test_duplicate_name_or_url_is_a_conflict(client: Client, clash: str) -> None:
    first = (await client.post("/backends", json=OLLAMA)).json()
    other = {"name": "other", "baseUrl": "http://10.0.0.2:1", "type": "vllm", clash: OLLAMA[clash]}
    response = await client.post("/backends", json=other)
    assert response.status_code == 409
    assert "already exists" in assert_error(response.json(), "conflict")
    assert [b["id"] for b in (await client.get("/backends")).json()] == [first["id"]]


async def test_unknown_backend_is_not_found(client: Client) -> None:
    for response in (
        await client.get("/backends/nope"),
        await client.put("/backends/nope", json=OLLAMA),
        await client.delete("/backends/nope"),
    ):
        assert response.status_code == 404
        assert "nope" in assert_error(response.json(), "not_found")


async def test_update_changes_fields_and_keeps_creation_time(client: Client) -> None:
    created = (await client.post("/backends", json=OLLAMA)).json()
    changed = {"name": "renamed", "baseUrl": "http://127.0.0.1:8000/v1", "type": "vllm"}
    response = await client.put(f"/backends/{created['id']}", json={**changed, "id": "ignored"})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == created["id"]
    assert {k: body[k] for k in changed} == changed
    assert body["createdAt"] == created["createdAt"]
    assert body["updatedAt"] > created["updatedAt"]
    assert (await client.get(f"/backends/{created['id']}")).json()["name"] == "renamed"


async def test_invalid_update_leaves_backend_unchanged(client: Client) -> None:
    created = (await client.post("/backends", json=OLLAMA)).json()
    response = await client.put(f"/backends/{created['id']}", json={**OLLAMA, "type": "x"})
    assert response.status_code == 422
    assert (await client.get(f"/backends/{created['id']}")).json()["type"] == "ollama"


async def test_update_to_a_taken_name_is_a_conflict(client: Client) -> None:
    await client.post("/backends", json=OLLAMA)
    second = {"name": "two", "baseUrl": "http://127.0.0.2:1", "type": "ollama"}
    created = (await client.post("/backends", json=second)).json()
    response = await client.put(f"/backends/{created['id']}", json={**second, "name": "ollama-1"})
    assert response.status_code == 409
    assert (await client.get(f"/backends/{created['id']}")).json()["name"] == "two"


async def test_delete_answers_literal_and_removes_memberships(client: Client) -> None:
    created = (await client.post("/backends", json=OLLAMA)).json()
    assigned = await client.post(f"/backend-affinity/internal_chat_group/backends/{created['id']}")
    assert assigned.status_code == 201
    response = await client.delete(f"/backends/{created['id']}")
    assert response.status_code == 200
    assert response.json() == "backend removed"
    assert response.headers["content-type"].startswith("application/json")
    assert (await client.get("/backend-affinity/internal_chat_group/backends")).json() == []
    assert (await client.delete(f"/backends/{created['id']}")).status_code == 404


async def test_pages_run_newest_first_with_a_strict_cursor(client: Client) -> None:
    ids = []
    for n in range(5):
        body = {"name": f"b{n}", "baseUrl": f"http://127.0.0.{n + 1}:1", "type": "ollama"}
        ids.append((await client.post("/backends", json=body)).json()["id"])
    seen: list[str] = []
    cursor = None
    sizes = []
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/backends", params=params)).json()
        if not page:
            break
        sizes.append(len(page))
        seen += [b["id"] for b in page]
        cursor = page[-1]["createdAt"]
    assert sizes == [2, 2, 1]
    assert seen == list(reversed(ids))


@pytest.mark.parametrize(
    ("query", "status", "param"),
    [
        ("limit=abc", 422, "limit"),
        ("limit=0", 422, "limit"),
        ("limit=-3", 422, "limit"),
        ("limit=1001", 400, "limit"),
        ("cursor=yesterday", 422, "cursor"),
    ],
)
async def test_bad_paging_parameters_are_rejected(
    client: Client, query: str, status: int, param: str
) -> None:
    response = await client.get(f"/backends?{query}")
    assert response.status_code == status
    assert_error(response.json(), "unprocessable_entity" if status == 422 else "bad_request", param)
