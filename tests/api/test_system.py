"""/health, /version, the OpenAPI document, and the envelope for unknown routes and methods."""

from __future__ import annotations

import uuid

from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime import __version__
from tests.api.test_backends import assert_error

Client = AsyncTestClient[Litestar]


async def test_health_is_an_empty_ok(client: Client) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.content == b""


async def test_version_reports_package_instance_and_tenancy(client: Client) -> None:
    body = (await client.get("/version")).json()
    assert body["version"] == __version__
    assert len(body["nodeInstanceID"]) == 8
    int(body["nodeInstanceID"], 16)
    assert uuid.UUID(body["tenancy"])


async def test_unknown_route_answers_not_found_envelope(client: Client) -> None:
    response = await client.get("/no/such/route")
    assert response.status_code == 404
    assert assert_error(response.json(), "not_found") == "serverops: not found"


async def test_wrong_method_answers_method_not_allowed_envelope(client: Client) -> None:
    response = await client.patch("/backends", json={})
    assert response.status_code == 405
    assert_error(response.json(), "method_not_allowed")


async def test_openapi_document_lists_the_registry_routes(client: Client) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/backends", "/models", "/groups", "/providers/configs", "/health"):
        assert path in paths
