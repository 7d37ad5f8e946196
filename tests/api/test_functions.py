"""/functions, /event-triggers and /executor/sync through HTTP: definitions and their validation."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.config import Settings
from tests.api.test_backends import assert_error

Client = AsyncTestClient[Litestar]
FUNCTION = {
    "name": "double",
    "description": "doubles n",
    "scriptType": "goja",
    "script": "function double(event) { return {n: event.data.n * 2}; }",
}
TRIGGER = {
    "name": "on-number",
    "description": "",
    "listenFor": {"type": "number.posted"},
    "type": "function",
    "function": "double",
}


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, function_timeout=0.5, function_backoff=0.05)


async def create(client: Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_function_crud_round_trips(client: Client) -> None:
    created = await create(client, "/functions", FUNCTION)
    assert {k: created[k] for k in FUNCTION} == FUNCTION
    assert created["createdAt"]
    assert created["updatedAt"]
    assert (await client.get("/functions/double")).json() == created
    assert [f["name"] for f in (await client.get("/functions")).json()] == ["double"]
    changed = await client.put("/functions/double", json=FUNCTION | {"description": "x2"})
    assert changed.status_code == 200
    assert changed.json()["description"] == "x2"
    assert (await client.get("/functions/double")).json()["description"] == "x2"
    removed = await client.delete("/functions/double")
    assert (removed.status_code, removed.json()) == (200, "function removed")
    assert (await client.get("/functions/double")).status_code == 404
    assert (await client.get("/functions")).json() == []


@pytest.mark.parametrize(
    ("change", "param", "message"),
    [
        ({"name": ""}, "name", "name is required"),
        ({"scriptType": "python"}, "scriptType", "scriptType must be"),
        ({"script": "  "}, "script", "script is required"),
        ({"script": "function ( {"}, "script", "script does not compile: SyntaxError"),
    ],
)
async def test_invalid_function_is_rejected_and_nothing_is_stored(
    client: Client, change: dict[str, str], param: str, message: str
) -> None:
    response = await client.post("/functions", json=FUNCTION | change)
    assert response.status_code == 422
    assert message in assert_error(response.json(), "unprocessable_entity", param)
    assert (await client.get("/functions")).json() == []


async def test_javascript_is_accepted_as_a_script_type(client: Client) -> None:
    created = await create(client, "/functions", FUNCTION | {"scriptType": "javascript"})
    assert created["scriptType"] == "javascript"


async def test_function_conflicts_and_unknown_names(client: Client) -> None:
    await create(client, "/functions", FUNCTION)
    duplicate = await client.post("/functions", json=FUNCTION)
    assert duplicate.status_code == 409
    assert (await client.get("/functions/nope")).status_code == 404
    assert (await client.delete("/functions/nope")).status_code == 404
    # the reference answers 422 for an update of an unknown function
    assert (await client.put("/functions/nope", json=FUNCTION)).status_code == 422
    broken = await client.put("/functions/double", json=FUNCTION | {"script": "}{"})
    assert broken.status_code == 422
    assert (await client.get("/functions/double")).json()["script"] == FUNCTION["script"]
    wrong_type = await client.post("/functions", json=FUNCTION | {"name": "b", "script": 5})
    assert wrong_type.status_code == 422


async def test_trigger_crud_and_lookups(client: Client) -> None:
    await create(client, "/functions", FUNCTION)
    created = await create(client, "/event-triggers", TRIGGER)
    assert {k: created[k] for k in TRIGGER} == TRIGGER
    assert (await client.get("/event-triggers/on-number")).json() == created
    assert [t["name"] for t in (await client.get("/event-triggers")).json()] == ["on-number"]
    by_type = await client.get("/event-triggers/event-type/number.posted")
    assert [t["name"] for t in by_type.json()] == ["on-number"]
    assert (await client.get("/event-triggers/event-type/other")).json() == []
    by_function = await client.get("/event-triggers/function/double")
    assert [t["name"] for t in by_function.json()] == ["on-number"]
    moved = TRIGGER | {"listenFor": {"type": "number.changed"}}
    assert (await client.put("/event-triggers/on-number", json=moved)).status_code == 200
    assert (await client.get("/event-triggers/event-type/number.posted")).json() == []
    removed = await client.delete("/event-triggers/on-number")
    assert (removed.status_code, removed.json()) == (200, "event trigger removed")
    assert (await client.get("/event-triggers/on-number")).status_code == 404


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"name": ""}, "name"),
        ({"listenFor": {"type": ""}}, "listenFor.type"),
        ({"type": "webhook"}, "type"),
        ({"function": ""}, "function"),
    ],
)
async def test_invalid_trigger_is_rejected(
    client: Client, change: dict[str, Any], param: str
) -> None:
    await create(client, "/functions", FUNCTION)
    response = await client.post("/event-triggers", json=TRIGGER | change)
    assert response.status_code == 422
    assert_error(response.json(), "unprocessable_entity", param)
    assert (await client.get("/event-triggers")).json() == []


async def test_trigger_for_unknown_function_conflicts(client: Client) -> None:
    response = await client.post("/event-triggers", json=TRIGGER)
    assert response.status_code == 409
    assert "double" in assert_error(response.json(), "conflict", "function")
    await create(client, "/functions", FUNCTION)
    await create(client, "/event-triggers", TRIGGER)
    assert (await client.post("/event-triggers", json=TRIGGER)).status_code == 409
    assert (await client.put("/event-triggers/nope", json=TRIGGER)).status_code == 422
    assert (await client.delete("/event-triggers/nope")).status_code == 404


async def test_deleting_a_function_removes_its_triggers(client: Client) -> None:
    await create(client, "/functions", FUNCTION)
    await create(client, "/event-triggers", TRIGGER)
    await client.delete("/functions/double")
    assert (await client.get("/event-triggers")).json() == []


async def test_function_lists_page_newest_first(client: Client) -> None:
    for n in range(3):
        await create(client, "/functions", FUNCTION | {"name": f"f{n}"})
    first = (await client.get("/functions", params={"limit": "2"})).json()
    assert [f["name"] for f in first] == ["f2", "f1"]
    rest = await client.get("/functions", params={"limit": "2", "cursor": first[-1]["createdAt"]})
    assert [f["name"] for f in rest.json()] == ["f0"]
    assert (await client.get("/functions", params={"limit": "0"})).status_code == 422


async def test_executor_sync_answers_literally(client: Client) -> None:
    response = await client.post("/executor/sync")
    assert (response.status_code, response.json()) == (200, "sync triggered")


async def test_runs_of_an_unknown_function_are_not_found(client: Client) -> None:
    assert (await client.get("/functions/nope/runs")).status_code == 404
    await create(client, "/functions", FUNCTION)
    assert (await client.get("/functions/double/runs")).json() == []
