"""Request bodies as real clients send them (SPEC 1.4): unknown keys ignored, keys in any case.

What a known field holds is still checked strictly, and the error names the field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.test_backends import assert_error

Client = AsyncTestClient[Litestar]
TO_END = {"branches": [{"operator": "default", "goto": "end"}]}


async def created(client: Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_backend_with_go_style_key_casing_and_extra_keys_is_stored(client: Client) -> None:
    body = {"Name": "b", "baseURL": "http://10.0.0.1:11434", "TYPE": "ollama", "region": "eu"}
    answer = await created(client, "/backends", body)
    assert (answer["name"], answer["baseUrl"], answer["type"]) == ("b", body["baseURL"], "ollama")


async def test_an_exact_key_wins_over_a_case_insensitive_one(client: Client) -> None:
    body = {"name": "b", "BASEURL": "http://10.0.0.9:1", "baseUrl": "http://10.0.0.1:1"}
    answer = await created(client, "/backends", body | {"type": "vllm"})
    assert answer["baseUrl"] == "http://10.0.0.1:1"


async def test_a_model_sent_with_a_name_is_declared(client: Client) -> None:
    body = {"model": "m:1b", "name": "m:1b", "ContextLength": 2048, "canchat": True}
    answer = await created(client, "/models", body)
    assert (answer["model"], answer["contextLength"], answer["canChat"]) == ("m:1b", 2048, True)


async def test_a_chain_whose_tasks_carry_unknown_keys_is_stored(client: Client) -> None:
    chain = {
        "ID": "c",
        "Tasks": [
            {"id": "a", "Handler": "noop", "type": "x", "Transition": TO_END, "extra": {"n": 1}}
        ],
    }
    await created(client, "/taskchains", chain)
    stored = (await client.get("/taskchains/c")).json()
    assert stored["tasks"] == [{"id": "a", "handler": "noop", "transition": TO_END}]


async def test_an_inline_chain_is_read_leniently_too(client: Client) -> None:
    chain = {"id": "inline", "tasks": [{"ID": "a", "handler": "noop", "transition": TO_END}]}
    answer = await created(
        client, "/tasks", {"Input": "hi", "INPUTTYPE": "string", "chain": chain, "trace": True}
    )
    assert answer["output"] == "hi"


async def test_a_function_with_an_action_type_and_its_trigger_are_stored(client: Client) -> None:
    function = {
        "name": "f",
        "scriptType": "goja",
        "actionType": "function",
        "Script": "function f(event) { return {}; }",
    }
    await created(client, "/functions", function)
    assert (await client.get("/functions/f")).json()["script"] == function["Script"]
    trigger = {"name": "t", "listenfor": {"Type": "x.y"}, "type": "function", "function": "f"}
    await created(client, "/event-triggers", trigger | {"enabled": True})
    assert (await client.get("/event-triggers/t")).json()["listenFor"] == {"type": "x.y"}


async def test_a_provider_configuration_with_a_model_name_is_accepted(client: Client) -> None:
    body = {"apiKey": "sk-test-0123456789abcdef", "modelName": "gpt-4o", "Upsert": True}
    assert (await created(client, "/providers/openai/configure", body))["configured"] is True


async def test_events_mappings_and_hooks_accept_any_key_casing(client: Client) -> None:
    event = {
        "Event_Type": "order.created",
        "event_source": "shop",
        "AGGREGATE_ID": "o-1",
        "aggregate_type": "order",
        "version": 1,
        "created_at": datetime.now(UTC).isoformat(),
        "data": {"Total": 1},
        "schema": "v2",
    }
    answer = await created(client, "/events", event)
    assert (answer["event_type"], answer["aggregate_id"]) == ("order.created", "o-1")
    assert answer["data"] == {"Total": 1}  # free-form data keeps its keys as sent
    mapping = {
        "path": "p",
        "eventtype": "push",
        "EventSource": "gh",
        "aggregateType": "repo",
        "aggregateIdField": "id",
        "note": "x",
    }
    assert (await created(client, "/mappings", mapping))["aggregateIDField"] == "id"
    hook = {"Name": "h", "endpointURL": "http://127.0.0.1:9/", "TimeoutMS": 500, "kind": "x"}
    answer = await created(client, "/hooks/remote", hook)
    assert (answer["name"], answer["timeoutMs"]) == ("h", 500)


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/backends", {"name": 5}, "name"),
        ("/models", {"model": "m", "contextLength": "big"}, "contextLength"),
        ("/models", {"model": "m", "CanChat": "yes"}, "canChat"),
        ("/events", {"event_type": "t", "version": "one"}, "version"),
        ("/hooks/remote", {"name": "h", "timeoutMs": [1]}, "timeoutMs"),
        ("/event-triggers", {"name": "t", "listenFor": {"type": 1}}, "listenFor.type"),
        ("/execute", {"prompt": 3}, "prompt"),
        ("/embed", {"TEXT": False}, "text"),
    ],
)
async def test_a_known_field_of_the_wrong_type_is_refused_naming_it(
    client: Client, path: str, body: dict[str, Any], param: str
) -> None:
    response = await client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert "Expected" in assert_error(response.json(), "unprocessable_entity", param)


async def test_a_chain_task_field_of_the_wrong_type_names_the_task_and_field(
    client: Client,
) -> None:
    chain = {"id": "c", "tasks": [{"id": "a", "handler": "noop", "retry_on_failure": "x"}]}
    response = await client.post("/taskchains", json=chain)
    assert response.status_code == 400
    assert "task 'a'" in assert_error(response.json(), "bad_request", "tasks[0].retry_on_failure")


async def test_yaml_bodies_are_read_leniently_too(client: Client) -> None:
    body = b"Name: y\nbaseURL: http://10.0.0.3:1\ntype: ollama\nzone: 3\n"
    response = await client.post(
        "/backends", content=body, headers={"content-type": "application/yaml"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["baseUrl"] == "http://10.0.0.3:1"
