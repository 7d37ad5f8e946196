"""The served OpenAPI document tells the truth, and the docs page works with no outside URL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.api.operations import OPERATIONS
from runtime.api.scopes import OPEN, ROUTE_SCOPES
from runtime.app import create_app
from runtime.config import Settings

Client = AsyncTestClient[Litestar]
TOKEN = "s3cret"
ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}
OLLAMA_ERROR = {"$ref": "#/components/schemas/OllamaError"}
SSE_ROUTES = [
    ("post", "/v1/chat/completions"),
    ("post", "/openai/{chain_id}/v1/chat/completions"),
    ("get", "/queue/inProgress"),
    ("get", "/events/stream/{event_type}"),
]


@pytest.fixture
async def guarded(settings: Settings) -> AsyncIterator[Client]:
    app = create_app(msgspec.structs.replace(settings, api_token=TOKEN))
    async with AsyncTestClient(app) as test_client:
        test_client.headers["X-API-Key"] = TOKEN
        yield test_client


async def document(client: Client) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "delete", "patch"):
                yield method, path, operation


def _error_shape(path: str) -> dict[str, str]:
    """Ollama's client API answers errors in Ollama's shape; every other route in ours."""
    return OLLAMA_ERROR if path.startswith("/api/") else ENVELOPE


async def test_every_error_status_answers_the_error_envelope(client: Client) -> None:
    doc = await document(client)
    for method, path, operation in operations(doc):
        errors = {code: r for code, r in operation["responses"].items() if code[0] in "45"}
        assert "500" in errors, (method, path)
        shape = _error_shape(path)
        for code, response in errors.items():
            assert response["content"] == {"application/json": {"schema": shape}}, (path, code)
    envelope = doc["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["required"] == ["error"]
    body = doc["components"]["schemas"]["ErrorBody"]
    assert set(body["properties"]) == {"code", "message", "param", "type"}
    assert "status_code" not in (await client.get("/schema/openapi.json")).text
    ollama_error = doc["components"]["schemas"]["OllamaError"]
    assert (ollama_error["required"], list(ollama_error["properties"])) == (["error"], ["error"])


async def test_error_statuses_follow_what_each_route_reads_and_does(client: Client) -> None:
    doc = await document(client)
    statuses = {
        (method, path): set(operation["responses"]) for method, path, operation in operations(doc)
    }
    assert {"400", "413", "415", "422"} <= statuses[("post", "/backends")]
    assert {"409", "429"} <= statuses[("post", "/backends")]
    assert "404" in statuses[("get", "/backends/{backend_id}")]
    assert {"404", "502", "503"} <= statuses[("post", "/v1/chat/completions")]
    assert {"400", "422"} <= statuses[("get", "/backends")]
    assert statuses[("get", "/health")] == {"200", "500"}
    assert "401" not in statuses[("get", "/backends")]  # no token configured


async def test_with_a_token_operations_require_the_key_or_bearer_scheme(guarded: Client) -> None:
    doc = await document(guarded)
    schemes = doc["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": schemes["ApiKey"]["description"],
    }
    assert schemes["Bearer"]["type"] == "http"
    assert schemes["Bearer"]["scheme"] == "bearer"
    for method, path, operation in operations(doc):
        key = f"{method.upper()} {path}"
        if ROUTE_SCOPES[key] == OPEN:
            assert operation["security"] == []
            # only a login's own failure: no credential is asked for
            assert ("401" in operation["responses"]) == (401 in OPERATIONS[key].errors)
        else:
            assert operation["security"] == [{"ApiKey": []}, {"Bearer": []}], path
            assert operation["responses"]["401"]["content"]["application/json"]["schema"] == (
                _error_shape(path)
            )


async def test_streaming_routes_are_documented_as_event_streams(client: Client) -> None:
    doc = await document(client)
    for method, path in SSE_ROUTES:
        content = doc["paths"][path][method]["responses"]["200"]["content"]
        assert "text/event-stream" in content, path
    subscription = doc["paths"]["/queue/inProgress"]["get"]["responses"]["200"]["content"]
    assert set(subscription) == {"text/event-stream"}


async def test_ollama_chat_routes_answer_json_or_ndjson_and_refuse_management(
    client: Client,
) -> None:
    doc = await document(client)
    for path, answer in (("/api/chat", "ChatChunk"), ("/api/generate", "Generated")):
        operation = doc["paths"][path]["post"]
        content = operation["responses"]["200"]["content"]
        assert set(content) == {"application/json", "application/x-ndjson"}
        assert content["application/json"]["schema"] == {"$ref": f"#/components/schemas/{answer}"}
        assert {"404", "502", "503"} <= set(operation["responses"])
    assert "405" in doc["paths"]["/api/pull"]["post"]["responses"]
    assert "405" in doc["paths"]["/api/delete"]["delete"]["responses"]


async def test_chat_and_chain_routes_have_typed_bodies(client: Client) -> None:
    doc = await document(client)
    schemas = doc["components"]["schemas"]
    for path in ("/v1/chat/completions", "/openai/{chain_id}/v1/chat/completions"):
        body = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert body["schema"] == {"$ref": "#/components/schemas/ChatRequest"}
    chat = schemas["ChatRequest"]
    assert set(chat["required"]) == {"model", "messages"}
    assert "stream" in chat["properties"]
    for method in ("post", "put"):
        path = "/taskchains" if method == "post" else "/taskchains/{chain_id}"
        content = doc["paths"][path][method]["requestBody"]["content"]
        assert content["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ChainDefinition"
        }
        assert "application/yaml" in content
    assert "tasks" in schemas["ChainDefinition"]["properties"]


async def test_every_operation_has_its_one_line_summary(client: Client) -> None:
    doc = await document(client)
    seen = set()
    for method, path, operation in operations(doc):
        key = f"{method.upper()} {path}"
        seen.add(key)
        assert key in OPERATIONS, f"{key} has no entry in runtime.api.operations"
        assert operation["summary"] == OPERATIONS[key].summary
        assert "\n" not in operation["summary"]
    assert set(OPERATIONS) == seen, "entries for operations that no longer exist"


async def test_docs_page_loads_every_asset_from_our_own_server(client: Client) -> None:
    for page in ("/schema", "/schema/swagger"):
        response = await client.get(page)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        head = response.text.split("<body", 1)[0]
        assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", head)
        assert len(assets) >= 4  # the bundle, the preset, the stylesheet, the icon
        for url in assets:
            assert url.startswith("/schema/static/"), url
            asset = await client.get(url)
            assert asset.status_code == 200, url
            assert asset.content
        assert "swagger-ui-bundle.js" in head
        assert "://" not in head


async def test_docs_assets_are_served_with_their_media_types(client: Client) -> None:
    script = await client.get("/schema/static/swagger-ui-bundle.js")
    assert "javascript" in script.headers["content-type"]
    style = await client.get("/schema/static/swagger-ui.css")
    assert style.headers["content-type"].startswith("text/css")
    licence = await client.get("/schema/static/LICENSE")
    assert "Apache License" in licence.text
