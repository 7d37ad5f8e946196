"""Idempotent start-up seeding of the built-in groups and the default models.

Safe to run on every start and from several replicas at once: each step checks before it
writes, and a race lost to another replica is retried.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec

from runtime import errors
from runtime.affinity import store
from runtime.affinity.types import CHAT_GROUP_ID, EMBED_GROUP_ID, TASKS_GROUP_ID, Group
from runtime.config import ConfigError, DefaultModel, Settings
from runtime.db import Database
from runtime.registry import store as registry_store
from runtime.registry.types import Model

BUILT_IN = (
    (EMBED_GROUP_ID, "Embedder", "Internal Embeddings", "can_embed"),
    (TASKS_GROUP_ID, "Tasks", "Internal Tasks", "can_prompt"),
    (CHAT_GROUP_ID, "Chat", "Internal Chat", "can_chat"),
)


async def seed(db: Database, settings: Settings, *, attempts: int = 3) -> None:
    """Ensure the three built-in groups exist and hold the configured default models.

    Raises ConfigError when a stored default model contradicts the settings. A conflict from
    a replica seeding at the same moment is resolved by running again.
    """
    for attempt in range(1, attempts + 1):
        try:
            await _seed_once(db, settings)
        except errors.ConflictError:
            if attempt == attempts:
                raise
        else:
            return


async def _seed_once(db: Database, settings: Settings) -> None:
    defaults = (settings.embed_model, settings.task_model, settings.chat_model)
    for (group_id, name, purpose, capability), default in zip(BUILT_IN, defaults, strict=True):
        async with db.transaction() as session:
            now = datetime.now(UTC)
            if await store.find_group(session, group_id) is None:
                group = Group(
                    id=group_id, name=name, purpose_type=purpose, created_at=now, updated_at=now
                )
                await store.create_group(session, group)
            if default is None:
                continue
            model = await registry_store.find_model_by_name(session, default.model)
            if model is None:
                model = await registry_store.create_model(
                    session, _new_model(default, settings.tenancy, capability, now)
                )
            elif model.context_length != default.context_length:
                raise ConfigError(
                    f"model {default.model!r} already exists with a different context length "
                    f"(stored: {model.context_length}, new: {default.context_length})"
                )
            elif not getattr(model, capability):
                model = await registry_store.update_model(
                    session, _with_capability(model, capability, now)
                )
            if not await store.find_model_assignment(session, group_id, model.id):
                await store.assign_model(session, group_id, model.id, now)


def _new_model(default: DefaultModel, tenancy: str, capability: str, now: datetime) -> Model:
    blank = Model(
        id=str(uuid.uuid5(uuid.UUID(tenancy), default.model)),
        model=default.model,
        context_length=default.context_length,
        can_chat=False,
        can_embed=False,
        can_prompt=False,
        can_stream=False,
        created_at=now,
        updated_at=now,
    )
    return _with_capability(blank, capability, now)


def _with_capability(model: Model, capability: str, now: datetime) -> Model:
    return msgspec.structs.replace(model, **{capability: True, "updated_at": now})
