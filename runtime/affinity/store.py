"""SQL for affinity groups and their backend and model memberships."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.affinity.types import Group
from runtime.db.caps import count_for_cap
from runtime.db.errors import translate
from runtime.db.paging import paged
from runtime.db.tables.affinity import GroupBackendRow, GroupModelRow, GroupRow
from runtime.db.tables.registry import BackendRow, ModelRow
from runtime.errors import NotFoundError
from runtime.paging import PageRequest
from runtime.registry.types import Backend, Model


def _group_taken(group: Group) -> str:
    return f"an affinity group named {group.name!r} already exists"


def _group(row: GroupRow) -> Group:
    return msgspec.convert(row, Group, from_attributes=True)


async def count_groups(session: AsyncSession) -> int:
    """How many there are, under the row-cap lock (`runtime.db.caps`): then insert."""
    return await count_for_cap(session, GroupRow)


async def create_group(session: AsyncSession, group: Group) -> Group:
    session.add(GroupRow(**msgspec.structs.asdict(group)))
    with translate(_group_taken(group)):
        await session.flush()
    return group


async def find_group(session: AsyncSession, group_id: str) -> Group | None:
    row = await session.get(GroupRow, group_id)
    return None if row is None else _group(row)


async def get_group(session: AsyncSession, group_id: str) -> Group:
    group = await find_group(session, group_id)
    if group is None:
        raise NotFoundError(f"affinity group {group_id!r} not found")
    return group


async def get_group_by_name(session: AsyncSession, name: str) -> Group:
    row = await session.scalar(select(GroupRow).where(GroupRow.name == name))
    if row is None:
        raise NotFoundError(f"affinity group named {name!r} not found")
    return _group(row)


async def list_groups(
    session: AsyncSession, page: PageRequest, *, purpose: str | None = None
) -> list[Group]:
    stmt = select(GroupRow)
    if purpose is not None:
        stmt = stmt.where(GroupRow.purpose_type == purpose)
    stmt = paged(stmt, GroupRow.created_at, GroupRow.id, page)
    return [_group(row) for row in await session.scalars(stmt)]


async def update_group(session: AsyncSession, group: Group) -> Group:
    row = await session.get(GroupRow, group.id)
    if row is None:
        raise NotFoundError(f"affinity group {group.id!r} not found")
    row.name, row.purpose_type, row.updated_at = group.name, group.purpose_type, group.updated_at
    with translate(_group_taken(group)):
        await session.flush()
    return _group(row)


async def delete_group(session: AsyncSession, group_id: str) -> None:
    result = await session.execute(delete(GroupRow).where(GroupRow.id == group_id))
    if getattr(result, "rowcount", 0) == 0:
        raise NotFoundError(f"affinity group {group_id!r} not found")


async def assign_backend(
    session: AsyncSession, group_id: str, backend_id: str, at: datetime
) -> None:
    session.add(GroupBackendRow(group_id=group_id, backend_id=backend_id, assigned_at=at))
    with translate(f"backend {backend_id!r} is already assigned to group {group_id!r}"):
        await session.flush()


async def unassign_backend(session: AsyncSession, group_id: str, backend_id: str) -> None:
    result = await session.execute(
        delete(GroupBackendRow).where(
            GroupBackendRow.group_id == group_id, GroupBackendRow.backend_id == backend_id
        )
    )
    if getattr(result, "rowcount", 0) == 0:
        raise NotFoundError(f"backend {backend_id!r} is not assigned to group {group_id!r}")


async def list_group_backends(session: AsyncSession, group_id: str) -> list[Backend]:
    rows = await session.scalars(
        select(BackendRow)
        .join(GroupBackendRow, GroupBackendRow.backend_id == BackendRow.id)
        .where(GroupBackendRow.group_id == group_id)
        .order_by(GroupBackendRow.assigned_at.desc())
    )
    return [msgspec.convert(row, Backend, from_attributes=True) for row in rows]


async def list_backend_groups(session: AsyncSession, backend_id: str) -> list[Group]:
    rows = await session.scalars(
        select(GroupRow)
        .join(GroupBackendRow, GroupBackendRow.group_id == GroupRow.id)
        .where(GroupBackendRow.backend_id == backend_id)
        .order_by(GroupBackendRow.assigned_at.desc())
    )
    return [_group(row) for row in rows]


async def find_model_assignment(session: AsyncSession, group_id: str, model_id: str) -> bool:
    row = await session.get(GroupModelRow, (group_id, model_id))
    return row is not None


async def assign_model(session: AsyncSession, group_id: str, model_id: str, at: datetime) -> None:
    session.add(GroupModelRow(group_id=group_id, model_id=model_id, assigned_at=at))
    with translate(f"model {model_id!r} is already assigned to group {group_id!r}"):
        await session.flush()


async def unassign_model(session: AsyncSession, group_id: str, model_id: str) -> None:
    result = await session.execute(
        delete(GroupModelRow).where(
            GroupModelRow.group_id == group_id, GroupModelRow.model_id == model_id
        )
    )
    if getattr(result, "rowcount", 0) == 0:
        raise NotFoundError(f"model {model_id!r} is not assigned to group {group_id!r}")


async def list_group_models(session: AsyncSession, group_id: str) -> list[Model]:
    rows = await session.scalars(
        select(ModelRow)
        .join(GroupModelRow, GroupModelRow.model_id == ModelRow.id)
        .where(GroupModelRow.group_id == group_id)
        .order_by(GroupModelRow.assigned_at.desc())
    )
    return [msgspec.convert(row, Model, from_attributes=True) for row in rows]


async def list_model_groups(session: AsyncSession, model_id: str) -> list[Group]:
    rows = await session.scalars(
        select(GroupRow)
        .join(GroupModelRow, GroupModelRow.group_id == GroupRow.id)
        .where(GroupModelRow.model_id == model_id)
        .order_by(GroupModelRow.assigned_at.desc())
    )
    return [_group(row) for row in rows]


async def list_declarations(
    session: AsyncSession,
) -> list[tuple[Backend, frozenset[str], tuple[Model, ...]]]:
    """Every backend in at least one group, with its group ids and the union of their models."""
    memberships = (await session.execute(select(GroupBackendRow))).scalars().all()
    if not memberships:
        return []
    backends = {
        row.id: msgspec.convert(row, Backend, from_attributes=True)
        for row in await session.scalars(
            select(BackendRow).where(BackendRow.id.in_({m.backend_id for m in memberships}))
        )
    }
    models_of_group: dict[str, list[Model]] = {}
    for group_id, row in await session.execute(
        select(GroupModelRow.group_id, ModelRow).join(
            ModelRow, ModelRow.id == GroupModelRow.model_id
        )
    ):
        models_of_group.setdefault(group_id, []).append(
            msgspec.convert(row, Model, from_attributes=True)
        )
    groups_of_backend: dict[str, set[str]] = {}
    for membership in memberships:
        groups_of_backend.setdefault(membership.backend_id, set()).add(membership.group_id)
    result = []
    for backend_id, groups in sorted(groups_of_backend.items()):
        models = {m.id: m for g in groups for m in models_of_group.get(g, ())}
        result.append((backends[backend_id], frozenset(groups), tuple(models.values())))
    return result


async def list_reach(session: AsyncSession, groups: frozenset[str]) -> list[tuple[str, str]]:
    """`(backend id, model name)` of every pair sharing one of `groups` (by id or name)."""
    wanted = select(GroupRow.id).where(GroupRow.id.in_(groups) | GroupRow.name.in_(groups))
    stmt = (
        select(GroupBackendRow.backend_id, ModelRow.model)
        .join(GroupModelRow, GroupModelRow.group_id == GroupBackendRow.group_id)
        .join(ModelRow, ModelRow.id == GroupModelRow.model_id)
        .where(GroupBackendRow.group_id.in_(wanted))
    )
    return [(backend_id, model) for backend_id, model in await session.execute(stmt)]
