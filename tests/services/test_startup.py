"""Start-up seeding and restarts: idempotent, consistent, and data survives."""

from __future__ import annotations

import uuid

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from runtime.app import create_app
from runtime.config import DEFAULT_TENANCY, ConfigError, DefaultModel, Settings


def leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaves(inner)]
    return [exc]


def with_defaults(settings: Settings, *, chat_context: int = 4096) -> Settings:
    return msgspec.structs.replace(
        settings,
        embed_model=DefaultModel(model="nomic-embed-text:latest", context_length=2048),
        task_model=DefaultModel(model="phi3:3.8b", context_length=4096),
        chat_model=DefaultModel(model="phi3:3.8b", context_length=chat_context),
    )


async def test_seeding_twice_gives_the_same_groups_and_models(settings: Settings) -> None:
    seeded = with_defaults(settings)
    snapshots = []
    for _ in range(2):
        async with AsyncTestClient(create_app(seeded)) as client:
            groups = (await client.get("/groups")).json()
            models = (await client.get("/models")).json()
            chat = (await client.get("/model-affinity/internal_chat_group/models")).json()
            snapshots.append((groups, models, chat))
    assert snapshots[0] == snapshots[1]
    groups, models, chat = snapshots[0]
    assert {g["id"] for g in groups} == {
        "internal_embed_group",
        "internal_tasks_group",
        "internal_chat_group",
    }
    by_name = {m["model"]: m for m in models}
    assert set(by_name) == {"nomic-embed-text:latest", "phi3:3.8b"}
    phi = by_name["phi3:3.8b"]
    assert phi["id"] == str(uuid.uuid5(uuid.UUID(DEFAULT_TENANCY), "phi3:3.8b"))
    assert (phi["canChat"], phi["canPrompt"], phi["canEmbed"], phi["canStream"]) == (
        True,
        True,
        False,
        False,
    )
    assert by_name["nomic-embed-text:latest"]["canEmbed"] is True
    assert [m["model"] for m in chat] == ["phi3:3.8b"]


async def test_changed_context_length_of_a_default_model_stops_start_up(
    settings: Settings,
) -> None:
    async with AsyncTestClient(create_app(with_defaults(settings))):
        pass
    with pytest.raises(BaseException) as raised:  # noqa: PT011 - the lifespan wraps it in groups
        async with AsyncTestClient(create_app(with_defaults(settings, chat_context=8192))):
            pass
    errors = leaves(raised.value)
    assert any(
        isinstance(e, ConfigError) and "different context length" in str(e) for e in errors
    ), errors


async def test_registry_survives_a_restart(settings: Settings) -> None:
    async with AsyncTestClient(create_app(settings)) as client:
        backend = (
            await client.post(
                "/backends", json={"name": "b", "baseUrl": "http://127.0.0.1:9", "type": "vllm"}
            )
        ).json()
        await client.post(f"/backend-affinity/internal_tasks_group/backends/{backend['id']}")
    async with AsyncTestClient(create_app(settings)) as client:
        assert (await client.get(f"/backends/{backend['id']}")).json()["name"] == "b"
        members = (await client.get("/backend-affinity/internal_tasks_group/backends")).json()
        assert [b["id"] for b in members] == [backend["id"]]
