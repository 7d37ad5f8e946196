"""A fake remote-hook tool server: an OpenAPI document and the operations it describes.

Real HTTP on loopback (serve it with `tests.fakes.loopback.serve`); every request is recorded
with its headers, query and body so tests assert on what the runtime actually sent.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from tests.fakes.loopback import send_bytes, send_json

ITEM = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "what to call the item"},
        "count": {"type": "integer"},
        "api_key": {"type": "string"},
    },
    "required": ["name", "api_key", "name"],
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "fake tools", "version": "1"},
    "components": {"schemas": {"Item": ITEM}},
    "paths": {
        "/users/{user_id}": {
            "parameters": [{"name": "user_id", "in": "path", "schema": {"type": "string"}}],
            "get": {
                "operationId": "get_user",
                "summary": "Fetch a user",
                "description": "Looks a user up",
                "parameters": [
                    {"name": "verbose", "in": "query", "schema": {"type": "boolean"}},
                    {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
                    {"name": "session", "in": "cookie", "schema": {"type": "string"}},
                ],
            },
        },
        "/items": {
            "post": {
                "operationId": "create_item",
                "summary": "Create an item",
                "parameters": [{"name": "dry_run", "in": "query", "required": True, "schema": {}}],
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}
                    }
                },
            },
            "get": {"x-tool-name": "list_items", "summary": "List items"},
        },
        "/items/{item_id}": {
            "delete": {
                "x-tool-name": "remove_item",
                "parameters": [{"name": "item_id", "in": "path"}],
            },
            "put": {"x-tool-name": "bad name!", "summary": "skipped: invalid tool name"},
        },
        "/text": {"get": {"summary": "Plain text"}},
        "/ping-pong": {"post": {"description": "Echoes the query"}},
        "/fail": {"get": {"operationId": "fail"}},
        "/slow": {"get": {"operationId": "slow"}},
        "/health": {"get": {"operationId": "health"}},
        "/Metrics": {"get": {"operationId": "metrics"}},
    },
}


@dataclass
class Recorded:
    """One request the tool server received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    raw_body: bytes


@dataclass
class FakeToolServer:
    """Serves `/openapi.json` (`document`, or `schema_status` instead) and the tool routes."""

    document: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DOCUMENT))
    schema_status: int = 200
    slow_seconds: float = 2.0
    requests: list[Recorded] = field(default_factory=list)

    @property
    def schema_fetches(self) -> int:
        return sum(1 for r in self.requests if r.path == "/openapi.json")

    def calls(self) -> list[Recorded]:
        """The requests other than schema fetches."""
        return [r for r in self.requests if r.path != "/openapi.json"]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        record = Recorded(
            method=scope["method"],
            path=scope["path"],
            query=dict(parse_qsl(scope["query_string"].decode())),
            headers={k.decode().lower(): v.decode() for k, v in scope["headers"]},
            body=json.loads(raw) if raw else None,
            raw_body=raw,
        )
        self.requests.append(record)
        await self._answer(record, send)

    async def _answer(self, r: Recorded, send: Any) -> None:
        route = (r.method, r.path)
        if route == ("GET", "/openapi.json"):
            if self.schema_status != 200:
                await send_bytes(send, self.schema_status, b"no schema", "text/plain")
            else:
                await send_json(send, 200, self.document)
        elif r.method == "GET" and r.path.startswith("/users/"):
            await send_json(send, 200, {"id": r.path.rsplit("/", 1)[1], "query": r.query})
        elif r.method == "DELETE" and r.path.startswith("/items/"):
            await send_bytes(send, 204, b"", "text/plain")
        elif route == ("GET", "/slow"):
            await asyncio.sleep(self.slow_seconds)
            await send_json(send, 200, {"slow": True})
        elif route in _FIXED:
            status, body, content_type = _FIXED[route](r)
            await send_bytes(send, status, body, content_type)
        else:
            await send_json(send, 404, {"detail": "not found"})


def _json(status: int, obj: Any) -> tuple[int, bytes, str]:
    return status, json.dumps(obj).encode(), "application/json"


_FIXED: dict[tuple[str, str], Callable[[Recorded], tuple[int, bytes, str]]] = {
    ("POST", "/items"): lambda r: _json(201, {"created": r.body, "query": r.query}),
    ("GET", "/items"): lambda _: _json(200, []),
    ("GET", "/text"): lambda _: (200, b"plain words", "text/plain; charset=utf-8"),
    ("POST", "/ping-pong"): lambda r: _json(200, {"query": r.query}),
    ("GET", "/fail"): lambda _: (500, b"boom", "text/plain"),
    ("GET", "/health"): lambda _: (200, b"", "text/plain"),
}
