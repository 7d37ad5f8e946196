"""Use cases for affinity groups: CRUD, membership, protection of the embedding group."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from runtime import errors
from runtime.affinity import store
from runtime.affinity.types import EMBED_GROUP_ID, Group, GroupSpec
from runtime.db import Database
from runtime.paging import PageRequest
from runtime.registry.types import Backend, Model

_IMMUTABLE = f"affinity group {EMBED_GROUP_ID} is immutable"


class GroupService:
    """Create groups and bind backends and models to them."""

    def __init__(
        self, db: Database, *, max_rows: int, on_change: Callable[[], None] = lambda: None
    ) -> None:
        self._db = db
        self._max_rows = max_rows
        self._on_change = on_change

    async def create(self, spec: GroupSpec) -> Group:
        _validate(spec)
        now = datetime.now(UTC)
        group = Group(
            id=str(uuid.uuid4()),
            name=spec.name.strip(),
            purpose_type=spec.purpose_type.strip(),
            created_at=now,
            updated_at=now,
        )
        async with self._db.transaction() as session:
            if await store.count_groups(session) >= self._max_rows:
                raise errors.LimitExceededError(f"row limit reached (max {self._max_rows})")
            return await store.create_group(session, group)

    async def get(self, group_id: str) -> Group:
        async with self._db.transaction() as session:
            return await store.get_group(session, group_id)

    async def get_by_name(self, name: str) -> Group:
        async with self._db.transaction() as session:
            return await store.get_group_by_name(session, name)

    async def list_page(self, page: PageRequest, *, purpose: str | None = None) -> list[Group]:
        async with self._db.transaction() as session:
            return await store.list_groups(session, page, purpose=purpose)

    async def update(self, group_id: str, spec: GroupSpec) -> Group:
        if group_id == EMBED_GROUP_ID:
            raise errors.InvalidInputError(_IMMUTABLE)
        _validate(spec)
        async with self._db.transaction(self._on_change) as session:
            current = await store.get_group(session, group_id)
            changed = Group(
                id=current.id,
                name=spec.name.strip(),
                purpose_type=spec.purpose_type.strip(),
                created_at=current.created_at,
                updated_at=datetime.now(UTC),
            )
            return await store.update_group(session, changed)

    async def delete(self, group_id: str) -> None:
        if group_id == EMBED_GROUP_ID:
            # The API reference answers 404 here; kept for client compatibility.
            raise errors.NotFoundError(_IMMUTABLE)
        async with self._db.transaction(self._on_change) as session:
            await store.delete_group(session, group_id)

    async def assign_backend(self, group_id: str, backend_id: str) -> None:
        async with self._db.transaction(self._on_change) as session:
            await store.assign_backend(session, group_id, backend_id, datetime.now(UTC))

    async def unassign_backend(self, group_id: str, backend_id: str) -> None:
        async with self._db.transaction(self._on_change) as session:
            await store.unassign_backend(session, group_id, backend_id)

    async def list_backends(self, group_id: str) -> list[Backend]:
        async with self._db.transaction() as session:
            return await store.list_group_backends(session, group_id)

    async def list_groups_of_backend(self, backend_id: str) -> list[Group]:
        async with self._db.transaction() as session:
            return await store.list_backend_groups(session, backend_id)

    async def assign_model(self, group_id: str, model_id: str) -> None:
        async with self._db.transaction(self._on_change) as session:
            await store.assign_model(session, group_id, model_id, datetime.now(UTC))

    async def unassign_model(self, group_id: str, model_id: str) -> None:
        if group_id == EMBED_GROUP_ID:
            raise errors.ForbiddenError("serverops: immutable group")
        async with self._db.transaction(self._on_change) as session:
            await store.unassign_model(session, group_id, model_id)

    async def list_models(self, group_id: str) -> list[Model]:
        async with self._db.transaction() as session:
            return await store.list_group_models(session, group_id)

    async def list_groups_of_model(self, model_id: str) -> list[Group]:
        async with self._db.transaction() as session:
            return await store.list_model_groups(session, model_id)

    async def reach(self, groups: frozenset[str]) -> list[tuple[str, str]]:
        """`(backend id, model name)` pairs the groups (ids or names) bind together."""
        async with self._db.transaction() as session:
            return await store.list_reach(session, groups)


def _validate(spec: GroupSpec) -> None:
    if not spec.name.strip():
        raise errors.InvalidInputError("invalid group data: name is required", param="name")
