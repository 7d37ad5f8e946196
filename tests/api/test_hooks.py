"""/hooks/remote, /hooks/schemas and /supported through HTTP, on both databases."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.app import create_app
from runtime.config import Settings
from tests.api.test_backends import assert_error
from tests.fakes.loopback import serve
from tests.fakes.tool_server import FakeToolServer

Client = AsyncTestClient[Litestar]
HOOK: dict[str, Any] = {
    "name": "mailing-tools",
    "endpointUrl": "http://127.0.0.1:9/api",
    "timeoutMs": 5000,
    "headers": {"Authorization": "Bearer token"},
    "properties": {"name": "access_token", "value": "abc", "in": "body"},
}


async def test_no_hooks_lists_as_empty(client: Client) -> None:
    assert (await client.get("/hooks/remote")).json() == []
    assert (await client.get("/supported")).json() == []
    assert (await client.get("/hooks/schemas")).json() == {}


async def test_created_hook_round_trips(client: Client) -> None:
    response = await client.post("/hooks/remote", json=HOOK)
    assert response.status_code == 201
    body = response.json()
    uuid.UUID(body["id"])
    assert {k: body[k] for k in HOOK} == {**HOOK, "headers": {"Authorization": "Bea…oken"}}
    assert body["createdAt"] == body["updatedAt"]
    assert body["createdAt"].startswith("20")
    for path in (f"/hooks/remote/{body['id']}", "/hooks/remote/by-name/mailing-tools"):
        got = await client.get(path)
        assert got.status_code == 200
        assert got.json() == body
    assert (await client.get("/hooks/remote")).json() == [body]
    assert (await client.get("/supported")).json() == ["mailing-tools"]


async def test_client_id_is_kept(client: Client) -> None:
    body = (await client.post("/hooks/remote", json={**HOOK, "id": "my-hook"})).json()
    assert body["id"] == "my-hook"
    assert (await client.get("/hooks/remote/my-hook")).status_code == 200


@pytest.mark.parametrize("value", ["text", True, 3, 2.5, None, {"nested": [1, "two"]}])
async def test_property_values_keep_their_json_type(client: Client, value: Any) -> None:
    hook = {**HOOK, "properties": {"name": "n", "value": value, "in": "query"}}
    created = (await client.post("/hooks/remote", json=hook)).json()
    got = (await client.get(f"/hooks/remote/{created['id']}")).json()
    assert got["properties"] == {"name": "n", "value": value, "in": "query"}


async def test_optional_fields_default_to_empty(client: Client) -> None:
    minimal = {"name": "m", "endpointUrl": "http://h:1", "timeoutMs": 10}
    body = (await client.post("/hooks/remote", json=minimal)).json()
    assert "headers" not in body
    assert body["properties"] == {"name": "", "value": None, "in": ""}


@pytest.mark.parametrize(
    ("change", "param", "needle"),
    [
        ({"name": ""}, "name", "name is required"),
        ({"name": "  "}, "name", "name is required"),
        ({"name": "my.hook"}, "name", "name cannot contain"),
        ({"endpointUrl": ""}, "endpointUrl", "endpoint URL is required"),
        ({"endpointUrl": "not a url"}, "endpointUrl", "http or https"),
        ({"timeoutMs": 0}, "timeoutMs", "timeout must be positive"),
        ({"timeoutMs": -1}, "timeoutMs", "timeout must be positive"),
        ({"headers": {"": "x"}}, "headers", "header name cannot be empty"),
        ({"headers": {"X-A": ""}}, "headers", "header value for X-A cannot be empty"),
        ({"timeoutMs": "soon"}, "timeoutMs", "Expected `int`"),
    ],
)
async def test_invalid_hook_is_rejected_and_nothing_is_stored(
    client: Client, change: dict[str, Any], param: str, needle: str
) -> None:
    response = await client.post("/hooks/remote", json={**HOOK, **change})
    assert response.status_code == 422
    message = assert_error(response.json(), "unprocessable_entity", param)
    assert needle in message
    if param != "timeoutMs" or "positive" in needle:
        assert message.startswith("invalid remote hook data serverops: unprocessable entity: ")
    assert (await client.get("/hooks/remote")).json() == []


async def test_missing_name_and_endpoint_are_rejected(client: Client) -> None:
    for body, param in (
        ({"endpointUrl": "http://h:1", "timeoutMs": 1}, "name"),
        ({"name": "n", "timeoutMs": 1}, "endpointUrl"),
    ):
        response = await client.post("/hooks/remote", json=body)
        assert response.status_code == 422
        assert_error(response.json(), "unprocessable_entity", param)


async def test_header_values_are_not_echoed_in_errors(client: Client) -> None:
    hook = {**HOOK, "headers": {"Authorization": "Bearer s3cret", "X-Empty": ""}}
    response = await client.post("/hooks/remote", json=hook)
    assert response.status_code == 422
    assert "s3cret" not in response.text


async def test_duplicate_name_is_a_conflict(client: Client) -> None:
    first = (await client.post("/hooks/remote", json=HOOK)).json()
    response = await client.post("/hooks/remote", json={**HOOK, "endpointUrl": "http://o:1"})
    assert response.status_code == 409
    assert "already exists" in assert_error(response.json(), "conflict")
    same_id = await client.post("/hooks/remote", json={**HOOK, "name": "x", "id": first["id"]})
    assert same_id.status_code == 409
    assert [h["id"] for h in (await client.get("/hooks/remote")).json()] == [first["id"]]


async def test_unknown_hook_is_not_found(client: Client) -> None:
    for response in (
        await client.get("/hooks/remote/nope"),
        await client.get("/hooks/remote/by-name/nope"),
        await client.put("/hooks/remote/nope", json=HOOK),
        await client.delete("/hooks/remote/nope"),
    ):
        assert response.status_code == 404
        assert "nope" in assert_error(response.json(), "not_found")


async def test_names_with_spaces_are_matched_exactly(client: Client) -> None:
    await client.post("/hooks/remote", json={**HOOK, "name": "my tools"})
    response = await client.get("/hooks/remote/by-name/my%20tools")
    assert response.status_code == 200
    assert response.json()["name"] == "my tools"


async def test_update_replaces_fields_and_keeps_id_and_creation(client: Client) -> None:
    created = (await client.post("/hooks/remote", json=HOOK)).json()
    changed = {
        "name": "renamed",
        "endpointUrl": "http://127.0.0.1:10",
        "timeoutMs": 100,
        "properties": {"name": "k", "value": 1, "in": "header"},
    }
    response = await client.put(f"/hooks/remote/{created['id']}", json={**changed, "id": "ignored"})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == created["id"]
    assert {k: body[k] for k in changed} == changed
    assert "headers" not in body
    assert body["createdAt"] == created["createdAt"]
    assert body["updatedAt"] > created["updatedAt"]
    assert (await client.get(f"/hooks/remote/{created['id']}")).json() == body
    assert (await client.get("/hooks/remote/by-name/mailing-tools")).status_code == 404


async def test_failed_update_changes_nothing(client: Client) -> None:
    created = (await client.post("/hooks/remote", json=HOOK)).json()
    other = (await client.post("/hooks/remote", json={**HOOK, "name": "other"})).json()
    bad = await client.put(f"/hooks/remote/{created['id']}", json={**HOOK, "timeoutMs": 0})
    assert bad.status_code == 422
    clash = await client.put(f"/hooks/remote/{created['id']}", json={**HOOK, "name": "other"})
    assert clash.status_code == 409
    assert (await client.get(f"/hooks/remote/{created['id']}")).json() == created
    assert (await client.get(f"/hooks/remote/{other['id']}")).json() == other


async def test_delete_answers_deleted_and_frees_the_name(client: Client) -> None:
    created = (await client.post("/hooks/remote", json=HOOK)).json()
    response = await client.delete(f"/hooks/remote/{created['id']}")
    assert response.status_code == 200
    assert response.content == b'"deleted"'
    assert (await client.get(f"/hooks/remote/{created['id']}")).status_code == 404
    assert (await client.post("/hooks/remote", json=HOOK)).status_code == 201


async def test_list_pages_newest_first_with_a_strict_cursor(client: Client) -> None:
    for n in range(5):
        await client.post("/hooks/remote", json={**HOOK, "name": f"h{n}"})
    seen: list[str] = []
    cursor = ""
    for expected in (2, 2, 1, 0):
        page = (await client.get(f"/hooks/remote?limit=2&cursor={cursor}")).json()
        assert len(page) == expected
        seen += [h["name"] for h in page]
        if page:
            cursor = page[-1]["createdAt"].replace("+", "%2B")
    assert seen == ["h4", "h3", "h2", "h1", "h0"]


@pytest.mark.parametrize(
    ("query", "status", "param"),
    [
        ("limit=abc", 404, "limit"),
        ("cursor=yesterday", 404, "cursor"),
        ("limit=0", 422, "limit"),
        ("limit=1001", 400, "limit"),
    ],
)
async def test_bad_paging_is_rejected(client: Client, query: str, status: int, param: str) -> None:
    response = await client.get(f"/hooks/remote?{query}")
    assert response.status_code == status
    body = response.json()
    assert body["error"]["param"] == param
    assert "limit" in body["error"]["message"] or "cursor" in body["error"]["message"]


async def test_schemas_hold_reachable_hooks_only(settings: Settings) -> None:
    tools = FakeToolServer()
    async with (
        serve(tools) as served,
        serve(create_app(settings), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10) as client,
    ):
        await client.post(
            "/hooks/remote", json={"name": "up", "endpointUrl": served.url, "timeoutMs": 2000}
        )
        await client.post(
            "/hooks/remote",
            json={"name": "down", "endpointUrl": "http://127.0.0.1:9", "timeoutMs": 500},
        )
        response = await client.get("/hooks/schemas")
        assert response.status_code == 200
        assert response.json() == {"up": tools.document}
        assert (await client.get("/supported")).json() == ["down", "up"]


async def test_header_values_are_shown_masked_and_sent_unchanged(settings: Settings) -> None:
    secret = "Bearer sk-live-0123456789"
    hook = {"name": "tools", "timeoutMs": 2000, "headers": {"Authorization": secret}}
    tools = FakeToolServer()
    async with (
        serve(tools) as served,
        serve(create_app(settings), lifespan=True) as ours,
        httpx.AsyncClient(base_url=ours.url, timeout=10) as client,
    ):
        created = await client.post("/hooks/remote", json={**hook, "endpointUrl": served.url})
        hook_id = created.json()["id"]
        shown = [
            created.json(),
            (await client.get(f"/hooks/remote/{hook_id}")).json(),
            (await client.get("/hooks/remote/by-name/tools")).json(),
            *(await client.get("/hooks/remote")).json(),
        ]
        assert [h["headers"] for h in shown] == [{"Authorization": "Bea…6789"}] * 4
        # a client that puts back what it was shown keeps the secret
        again = {k: shown[1][k] for k in ("name", "endpointUrl", "headers")}
        updated = await client.put(f"/hooks/remote/{hook_id}", json={**again, "timeoutMs": 3000})
        assert updated.status_code == 200
        assert secret not in updated.text
        assert (await client.get("/hooks/schemas")).json() == {"tools": tools.document}
    assert tools.requests[0].headers["authorization"] == secret


async def test_our_openapi_document_describes_the_hook_routes(client: Client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert {"/hooks/remote", "/hooks/remote/{hook_id}", "/hooks/schemas", "/supported"} <= set(
        paths
    )
