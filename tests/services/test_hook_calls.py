"""HookService against a real database and a real loopback tool server: discovery and calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from runtime import errors
from runtime.db import Database
from runtime.hooks import HookService, HookSpec, InjectionArg, openapi
from tests.fakes.loopback import serve
from tests.fakes.tool_server import FakeToolServer


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Setup:
    hooks: HookService
    tools: FakeToolServer
    url: str
    clock: Clock

    async def register(
        self,
        name: str = "tools",
        *,
        inject: InjectionArg | None = None,
        headers: dict[str, str] | None = None,
        timeout_ms: int = 2000,
    ) -> None:
        await self.hooks.create(
            HookSpec(
                name=name,
                endpoint_url=self.url,
                timeout_ms=timeout_ms,
                headers=headers or {},
                properties=inject or InjectionArg(),
            )
        )


@pytest.fixture
async def setup(db_url: str) -> AsyncIterator[Setup]:
    db = Database(db_url)
    tools = FakeToolServer(slow_seconds=1.0)
    clock = Clock()
    async with httpx.AsyncClient(timeout=5.0) as http, serve(tools) as served:
        yield Setup(HookService(db, http, max_rows=100, clock=clock), tools, served.url, clock)
    await db.dispose()


def by_name(tools: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {tool["function"]["name"]: tool for tool in tools}


async def test_tools_are_named_hook_dot_operation(setup: Setup) -> None:
    await setup.register()
    names = set(by_name(await setup.hooks.tools(["tools"])))
    assert names == {
        "tools.get_user",
        "tools.create_item",
        "tools.list_items",
        "tools.remove_item",
        "tools.text_get",
        "tools.ping-pong_post",
        "tools.fail",
        "tools.slow",
    }


async def test_tool_descriptions_and_parameter_schemas(setup: Setup) -> None:
    await setup.register()
    tools = by_name(await setup.hooks.tools(["tools"]))
    user = tools["tools.get_user"]
    assert user["type"] == "function"
    assert user["function"]["description"] == "Looks a user up/nFetch a user"
    assert user["function"]["parameters"] == {
        "type": "object",
        "properties": {"user_id": {"type": "string"}, "verbose": {"type": "boolean"}},
        "required": ["user_id"],
    }
    create = tools["tools.create_item"]["function"]
    assert create["description"] == "Create an item"
    assert set(create["parameters"]["properties"]) == {"dry_run", "name", "count", "api_key"}
    assert create["parameters"]["properties"]["name"]["description"] == "what to call the item"
    assert create["parameters"]["required"] == ["api_key", "dry_run", "name"]
    assert "parameters" not in tools["tools.text_get"]["function"]
    assert tools["tools.ping-pong_post"]["function"]["description"] == "Echoes the query/n"


async def test_injected_arguments_are_hidden_from_the_model(setup: Setup) -> None:
    await setup.register("body", inject=InjectionArg(name="api_key", value="k", location="body"))
    await setup.register("path", inject=InjectionArg(name="user_id", value=7, location="path"))
    create = by_name(await setup.hooks.tools(["body"]))["body.create_item"]["function"]
    assert "api_key" not in create["parameters"]["properties"]
    assert create["parameters"]["required"] == ["dry_run", "name"]
    user = by_name(await setup.hooks.tools(["path"]))["path.get_user"]["function"]
    assert set(user["parameters"]["properties"]) == {"verbose"}
    assert user["parameters"]["required"] == []


async def test_unknown_hook_is_named_in_the_error(setup: Setup) -> None:
    await setup.register()
    with pytest.raises(errors.NotFoundError, match="unknown hook: nope"):
        await setup.hooks.tools(["tools", "nope"])
    with pytest.raises(errors.NotFoundError, match="unknown hook: nope"):
        await setup.hooks.call_tool("nope.get_user", {})


async def test_path_and_query_arguments_go_where_the_schema_says(setup: Setup) -> None:
    await setup.register(headers={"Authorization": "Bearer secret"})
    value, kind = await setup.hooks.call_tool(
        "tools.get_user",
        {"user_id": "a b", "verbose": True, "X-Trace": "t", "session": "s", "extra": 1},
    )
    assert kind == "json"
    assert value == {"id": "a b", "query": {"verbose": "true"}}
    sent = setup.tools.calls()[-1]
    assert sent.method == "GET"
    assert sent.path == "/users/a b"
    assert sent.headers["authorization"] == "Bearer secret"
    assert sent.headers["accept"] == "application/json"
    assert "x-trace" not in sent.headers
    assert sent.raw_body == b""


async def test_post_sends_the_remaining_arguments_as_json(setup: Setup) -> None:
    await setup.register(inject=InjectionArg(name="api_key", value=42, location="body"))
    value, kind = await setup.hooks.run("tools", "create_item", {"name": "pen"}, "Trigger hook")
    assert kind == "json"
    sent = setup.tools.calls()[-1]
    assert sent.body == {"input": "Trigger hook", "name": "pen", "api_key": "42"}
    assert sent.headers["content-type"] == "application/json"
    assert value == {"created": sent.body, "query": {}}


async def test_injection_by_query_and_header_overrides_the_caller(setup: Setup) -> None:
    await setup.register("q", inject=InjectionArg(name="dry_run", value=True, location="query"))
    await setup.register("h", inject=InjectionArg(name="X-Key", value=1.5, location="header"))
    await setup.hooks.call_tool("q.create_item", {"dry_run": "no", "name": "x"})
    sent = setup.tools.calls()[-1]
    assert sent.query == {"dry_run": "true"}
    assert sent.body == {"name": "x"}
    await setup.hooks.call_tool("h.get_user", {"user_id": "u"})
    assert setup.tools.calls()[-1].headers["x-key"] == "1.5"


async def test_path_injection_fills_the_template(setup: Setup) -> None:
    await setup.register(inject=InjectionArg(name="user_id", value=7.0, location="path"))
    value, _ = await setup.hooks.call_tool("tools.get_user", {"user_id": "ignored"})
    assert value["id"] == "7"


async def test_body_is_sent_only_for_operations_that_declare_one(setup: Setup) -> None:
    await setup.register()
    await setup.hooks.call_tool("tools.ping-pong_post", {"a": "b"})
    await setup.hooks.call_tool("tools.remove_item", {"item_id": "9", "why": "x"})
    ping, remove = setup.tools.calls()[-2:]
    assert (ping.method, ping.raw_body, ping.query) == ("POST", b"", {})
    assert (remove.method, remove.path, remove.raw_body) == ("DELETE", "/items/9", b"")


async def test_response_types(setup: Setup) -> None:
    await setup.register()
    assert await setup.hooks.call_tool("tools.text_get", {}) == ("plain words", "string")
    assert await setup.hooks.call_tool("tools.remove_item", {"item_id": "1"}) == (None, "any")
    assert await setup.hooks.call_tool("tools.list_items", {}) == ([], "json")


async def test_non_2xx_is_an_execution_failure_with_the_body(setup: Setup) -> None:
    await setup.register()
    with pytest.raises(errors.UpstreamError) as failed:
        await setup.hooks.call_tool("tools.fail", {})
    assert failed.value.message == (
        "execution failed for hook 'tools': API request failed with status 500: boom"
    )
    assert failed.value.retryable


async def test_unknown_tool_and_bad_names(setup: Setup) -> None:
    await setup.register()
    with pytest.raises(errors.NotFoundError, match="tool 'nope' not found in the OpenAPI schema"):
        await setup.hooks.call_tool("tools.nope", {})
    with pytest.raises(errors.NotFoundError, match="tool 'health' not found"):
        await setup.hooks.run("tools", "health", {}, None)
    with pytest.raises(errors.NotFoundError, match=r"<hook>\.<tool>"):
        await setup.hooks.call_tool("get_user", {})


async def test_timeout_bounds_the_whole_call(setup: Setup) -> None:
    await setup.register(timeout_ms=200)
    with pytest.raises(errors.UnavailableError, match="execution failed for hook 'tools'"):
        await setup.hooks.call_tool("tools.slow", {})


async def test_schema_is_cached_for_the_ttl(setup: Setup) -> None:
    await setup.register()
    await setup.hooks.call_tool("tools.text_get", {})
    await setup.hooks.call_tool("tools.list_items", {})
    await setup.hooks.tools(["tools"])
    assert setup.tools.schema_fetches == 1
    setup.clock.now += 31
    await setup.hooks.call_tool("tools.text_get", {})
    assert setup.tools.schema_fetches == 2


async def test_updating_a_hook_drops_its_cached_schema(setup: Setup) -> None:
    await setup.register()
    await setup.hooks.tools(["tools"])
    hook = await setup.hooks.get_by_name("tools")
    spec = HookSpec(name="tools", endpoint_url=setup.url, timeout_ms=3000)
    await setup.hooks.update(hook.id, spec)
    await setup.hooks.tools(["tools"])
    assert setup.tools.schema_fetches == 2


async def test_registering_does_not_fetch_the_schema(setup: Setup) -> None:
    await setup.register()
    assert setup.tools.requests == []


async def test_unreadable_schema_fails_and_is_not_cached(setup: Setup) -> None:
    await setup.register()
    setup.tools.schema_status = 503
    with pytest.raises(errors.UpstreamError, match="status 503"):
        await setup.hooks.tools(["tools"])
    with pytest.raises(errors.UpstreamError, match="execution failed for hook 'tools'"):
        await setup.hooks.call_tool("tools.text_get", {})
    setup.tools.schema_status = 200
    assert await setup.hooks.call_tool("tools.text_get", {}) == ("plain words", "string")


async def test_unreachable_hook_is_unavailable(setup: Setup) -> None:
    await setup.hooks.create(
        HookSpec(name="gone", endpoint_url="http://127.0.0.1:9", timeout_ms=1000)
    )
    with pytest.raises(errors.UnavailableError, match="gone"):
        await setup.hooks.tools(["gone"])
    assert await setup.hooks.schemas() == {}


def test_naming_rules_of_operations_without_an_operation_id() -> None:
    document = {
        "paths": {
            "/users/{id}": {"get": {}, "post": {"x-tool-name": "make_user"}},
            "/HEALTHZ": {"get": {}},
            "/ready": {"get": {}},
            "/odd": {"patch": {"x-tool-name": "has space"}, "head": {}, "delete": {}},
        }
    }
    found = [(op.tool_name, op.method) for op in openapi.operations(document)]
    assert found == [("odd_delete", "DELETE"), ("{id}_get", "GET"), ("make_user", "POST")]
    assert openapi.operations({"openapi": "3.0.0"}) == []
