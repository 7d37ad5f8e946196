"""Bad input is answered 4xx with the error envelope, on every route and on both databases.

Integers beyond the columns' range, strings beyond their size, nesting too deep, NUL
characters, oversized events and misshapen chat tools: never a 500.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.config import Settings
from tests.api.test_backends import assert_error
from tests.api.test_triggers import event, install, runs

Client = AsyncTestClient[Litestar]
HUGE = 2**63
HOOK = {"name": "h", "endpointUrl": "http://127.0.0.1:9/"}
MAPPING = {"path": "p", "eventType": "t", "eventSource": "s", "aggregateType": "a"}


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, function_timeout=0.5, function_backoff=0.05)


@pytest.mark.parametrize(
    ("method", "path", "body", "param"),
    [
        ("POST", "/models", {"model": "m", "contextLength": HUGE}, "contextLength"),
        ("POST", "/models", {"model": "m", "contextLength": 2**31}, "contextLength"),
        ("PUT", "/models/m", {"model": "m", "contextLength": HUGE}, "contextLength"),
        ("POST", "/events", event("t") | {"version": 2**31}, "version"),
        ("POST", "/hooks/remote", HOOK | {"timeoutMs": HUGE}, "timeoutMs"),
        ("POST", "/mappings", MAPPING | {"version": 2**40}, "version"),
    ],
)
async def test_integers_beyond_the_column_range_are_unprocessable(
    client: Client, method: str, path: str, body: dict[str, Any], param: str
) -> None:
    response = await client.request(method, path, json=body)
    assert response.status_code == 422, response.text
    assert_error(response.json(), "unprocessable_entity", param)


@pytest.mark.parametrize("path", ["/providers/configs", "/events/types"])
async def test_a_limit_beyond_the_column_range_is_unprocessable(client: Client, path: str) -> None:
    response = await client.get(path, params={"limit": str(HUGE)})
    assert response.status_code == 422, response.text
    assert_error(response.json(), "unprocessable_entity", "limit")


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/backends", {"name": "b" * 513, "baseUrl": "http://a:1", "type": "ollama"}, "name"),
        ("/backends", {"name": "b", "baseUrl": "http://a/" + "x" * 2048}, "baseUrl"),
        ("/models", {"model": "m" * 513}, "model"),
        ("/groups", {"name": "g" * 513}, "name"),
        ("/functions", {"name": "f" * 256, "scriptType": "goja", "script": "x"}, "name"),
        ("/functions", {"name": "f", "description": "d" * 9000, "script": "x"}, "description"),
        ("/event-triggers", {"name": "t" * 256, "function": "f"}, "name"),
        ("/events", event("t" * 256), "event_type"),
        ("/hooks/remote", HOOK | {"name": "h" * 256}, "name"),
        ("/mappings", MAPPING | {"path": "p" * 1025}, "path"),
        ("/taskchains", {"id": "c" * 256, "tasks": []}, "id"),
    ],
)
async def test_strings_beyond_their_size_are_unprocessable(
    client: Client, path: str, body: dict[str, Any], param: str
) -> None:
    response = await client.post(path, json=body)
    assert response.status_code in (400, 422), response.text
    assert "length" in assert_error(response.json(), response.json()["error"]["code"], param)


@pytest.mark.parametrize("path", ["/backends", "/taskchains", "/tasks", "/ingest?path=p"])
async def test_json_nested_too_deep_is_a_bad_request(client: Client, path: str) -> None:
    body = b'{"input": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    response = await client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert "nested deeper than 64" in assert_error(response.json(), "bad_request")


async def test_json_nested_within_the_bound_is_read(client: Client) -> None:
    data = {"deep": [[[[[[[[[[1]]]]]]]]]]}
    response = await client.post("/events", json=event("t") | {"data": data})
    assert response.status_code == 201, response.text
    assert response.json()["data"] == data


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/backends", {"name": "a\u0000b", "baseUrl": "http://a:1", "type": "ollama"}),
        ("/events", event("t", note="a\u0000")),
        ("/events", event("t") | {"data": {"k\u0000": 1}}),
        ("/taskchains", {"id": "c\u0000", "tasks": []}),
    ],
)
async def test_nul_in_a_body_is_a_bad_request(
    client: Client, path: str, body: dict[str, Any]
) -> None:
    response = await client.post(path, json=body)
    assert response.status_code == 400, response.text
    assert "NUL" in assert_error(response.json(), "bad_request")


@pytest.mark.parametrize("url", ["/backends/nul%00", "/mapping?path=a%00b", "/taskchains/%00"])
async def test_nul_in_the_url_is_a_bad_request(client: Client, url: str) -> None:
    response = await client.get(url)
    assert response.status_code == 400, response.text
    assert "NUL" in assert_error(response.json(), "bad_request")


async def test_an_ingested_payload_with_nul_is_kept_with_the_nul_escaped(client: Client) -> None:
    mapping = MAPPING | {"aggregateIDField": "id"}
    assert (await client.post("/mappings", json=mapping)).status_code == 201
    body = b'{"id": "x", "text": "a\\u0000b"}'
    response = await client.post(
        "/ingest?path=p", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["payload"] == {"id": "x", "text": "a\\u0000b"}
    [stored] = (await client.get("/events/type", params={"event_type": "t"})).json()
    assert stored["data"]["text"] == "a\\u0000b"


async def test_a_run_whose_result_and_log_hold_nul_is_recorded(client: Client) -> None:
    script = "function f(e) { console.log('x\\u0000y'); return {s: 'a\\u0000b'}; }"
    await install(client, "f", script, "nul.made")
    assert (await client.post("/events", json=event("nul.made"))).status_code == 201
    [run] = await runs(client, "f")
    assert run["status"] == "succeeded", run
    assert (run["result"], run["logs"]) == ({"s": "a\\u0000b"}, ["x\\u0000y"])


async def test_an_event_larger_than_a_mebibyte_is_too_large(client: Client) -> None:
    big = event("t", blob="x" * (1024 * 1024))
    response = await client.post("/events", json=big)
    assert response.status_code == 413, response.text
    assert_error(response.json(), "request_too_large", "data")
    assert (await client.post("/mappings", json=MAPPING)).status_code == 201
    response = await client.post("/ingest?path=p", json={"blob": "x" * (1024 * 1024)})
    assert response.status_code == 413
    assert (await client.get("/events/type", params={"event_type": "t"})).json() == []


async def test_an_event_list_answer_is_bounded_in_bytes(client: Client) -> None:
    almost = "x" * (1024 * 1024 - 100)
    for n in range(17):
        response = await client.post("/events", json=event("t", n=n, blob=almost))
        assert response.status_code == 201, response.text
    listed = await client.get("/events/type", params={"event_type": "t", "limit": "100"})
    assert listed.status_code == 200
    assert 1 <= len(listed.json()) < 17
    assert len(listed.content) < 17 * 1024 * 1024


HELLO = [{"role": "user", "content": "hi"}]
CALL = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{not json"}}


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (
            {"model": "m", "messages": [*HELLO, {"role": "assistant", "tool_calls": [CALL]}]},
            "messages[1].tool_calls[0].function.arguments",
        ),
        ({"model": "m", "messages": HELLO, "tools": "all of them"}, "tools"),
        ({"model": "m", "messages": HELLO, "tools": [{"type": "function"}]}, "tools[0].function"),
        (
            {"model": "m", "messages": HELLO, "tools": [{"function": {"name": 3}}]},
            "tools[0].function.name",
        ),
    ],
)
async def test_misshapen_tool_calls_and_tools_are_a_bad_request(
    client: Client, body: dict[str, Any], param: str
) -> None:
    response = await client.post("/v1/chat/completions", json=body)
    assert response.status_code == 400, response.text
    assert_error(response.json(), "bad_request", param)
