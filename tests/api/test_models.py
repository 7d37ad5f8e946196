"""/models through HTTP: declare, list, update, delete, and validation per the API reference."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.app import create_app
from runtime.config import DefaultModel, Settings
from tests.api.test_backends import assert_error

Client = AsyncTestClient[Litestar]
SMOL = {"model": "smollm2:135m", "canChat": True, "canPrompt": True, "contextLength": 1024}


async def test_model_id_is_its_name(client: Client) -> None:
    response = await client.post("/models", json=SMOL)
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == "smollm2:135m"
    assert body["model"] == "smollm2:135m"
    assert (body["canChat"], body["canPrompt"], body["canEmbed"], body["canStream"]) == (
        True,
        True,
        False,
        False,
    )
    assert body["contextLength"] == 1024


async def test_no_models_lists_as_empty_array(client: Client) -> None:
    response = await client.get("/models")
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize(
    ("body", "status", "param", "needle"),
    [
        ({**SMOL, "model": ""}, 400, "model", "model name is required"),
        ({**SMOL, "contextLength": 0}, 400, "contextLength", "context length is required"),
        ({"model": "m", "contextLength": 5}, 400, "canChat", "capabilities are required"),
        ({**SMOL, "contextLength": -1}, 422, "contextLength", "cannot be zero or negative"),
        ({**SMOL, "contextLength": "big"}, 422, "contextLength", "Expected `int`"),
        ({**SMOL, "canChat": "yes"}, 422, "canChat", "Expected `bool`"),
    ],
)
async def test_invalid_model_is_rejected_and_nothing_is_stored(
    client: Client, body: dict[str, Any], status: int, param: str, needle: str
) -> None:
    response = await client.post("/models", json=body)
    assert response.status_code == status
    code = "bad_request" if status == 400 else "unprocessable_entity"
    assert needle in assert_error(response.json(), code, param)
    assert (await client.get("/models")).json() == []


async def test_duplicate_model_is_a_conflict(client: Client) -> None:
    await client.post("/models", json=SMOL)
    response = await client.post("/models", json=SMOL)
    assert response.status_code == 409
    assert "smollm2:135m" in assert_error(response.json(), "conflict")


async def test_update_changes_capabilities_and_keeps_creation_time(client: Client) -> None:
    created = (await client.post("/models", json=SMOL)).json()
    response = await client.put(
        "/models/smollm2:135m", json={**SMOL, "canStream": True, "contextLength": 4096}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["canStream"] is True
    assert body["contextLength"] == 4096
    assert body["createdAt"] == created["createdAt"]
    listed = (await client.get("/models")).json()
    assert listed[0]["contextLength"] == 4096


async def test_update_with_another_id_in_the_body_is_rejected(client: Client) -> None:
    await client.post("/models", json=SMOL)
    response = await client.put("/models/smollm2:135m", json={**SMOL, "id": "other"})
    assert response.status_code == 422
    assert "does not match" in assert_error(response.json(), "unprocessable_entity", "id")


async def test_update_of_unknown_model_is_not_found(client: Client) -> None:
    response = await client.put("/models/ghost", json=SMOL)
    assert response.status_code == 404


async def test_rename_to_a_taken_name_is_a_conflict(client: Client) -> None:
    await client.post("/models", json=SMOL)
    await client.post("/models", json={**SMOL, "model": "llama3:8b"})
    response = await client.put("/models/llama3:8b", json=SMOL)
    assert response.status_code == 409


async def test_delete_by_name_answers_literal(client: Client) -> None:
    await client.post("/models", json=SMOL)
    await client.post("/model-affinity/internal_chat_group/models/smollm2:135m")
    response = await client.delete("/models/smollm2:135m")
    assert response.status_code == 200
    assert response.json() == "model removed"
    assert (await client.get("/models")).json() == []
    assert (await client.get("/model-affinity/internal_chat_group/models")).json() == []
    again = await client.delete("/models/smollm2:135m")
    assert again.status_code == 404


async def test_default_embedding_model_cannot_be_deleted(settings: Settings) -> None:
    embed = DefaultModel(model="nomic-embed-text:latest", context_length=2048)
    app = create_app(msgspec.structs.replace(settings, embed_model=embed))
    async with AsyncTestClient(app) as client:
        response = await client.delete("/models/nomic-embed-text:latest")
        assert response.status_code == 403
        assert assert_error(response.json(), "forbidden") == "serverops: immutable model"
        names = [m["model"] for m in (await client.get("/models")).json()]
        assert names == ["nomic-embed-text:latest"]
