"""SQL for backends and models: rows in, frozen domain Structs out."""

from __future__ import annotations

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.db.caps import count_for_cap
from runtime.db.errors import translate
from runtime.db.paging import paged
from runtime.db.tables.registry import BackendRow, ModelRow
from runtime.errors import NotFoundError
from runtime.paging import PageRequest
from runtime.registry.types import Backend, Model

_BACKEND_TAKEN = "a backend with this name or baseUrl already exists"


def _model_taken(model: Model) -> str:
    return f"a model named {model.model!r} already exists"


def _backend(row: BackendRow) -> Backend:
    return msgspec.convert(row, Backend, from_attributes=True)


def _model(row: ModelRow) -> Model:
    return msgspec.convert(row, Model, from_attributes=True)


async def count_backends(session: AsyncSession) -> int:
    """How many there are, under the row-cap lock (`runtime.db.caps`): then insert."""
    return await count_for_cap(session, BackendRow)


async def create_backend(session: AsyncSession, backend: Backend) -> Backend:
    session.add(BackendRow(**msgspec.structs.asdict(backend)))
    with translate(_BACKEND_TAKEN):
        await session.flush()
    return backend


async def find_backend(session: AsyncSession, backend_id: str) -> Backend | None:
    row = await session.get(BackendRow, backend_id)
    return None if row is None else _backend(row)


async def get_backend(session: AsyncSession, backend_id: str) -> Backend:
    row = await session.get(BackendRow, backend_id)
    if row is None:
        raise NotFoundError(f"backend {backend_id!r} not found")
    return _backend(row)


async def list_backends(session: AsyncSession, page: PageRequest) -> list[Backend]:
    stmt = paged(select(BackendRow), BackendRow.created_at, BackendRow.id, page)
    return [_backend(row) for row in await session.scalars(stmt)]


async def update_backend(session: AsyncSession, backend: Backend) -> Backend:
    row = await session.get(BackendRow, backend.id)
    if row is None:
        raise NotFoundError(f"backend {backend.id!r} not found")
    row.name, row.base_url, row.type = backend.name, backend.base_url, backend.type
    row.updated_at = backend.updated_at
    with translate(_BACKEND_TAKEN):
        await session.flush()
    return _backend(row)


async def delete_backend(session: AsyncSession, backend_id: str) -> None:
    result = await session.execute(delete(BackendRow).where(BackendRow.id == backend_id))
    if getattr(result, "rowcount", 0) == 0:
        raise NotFoundError(f"backend {backend_id!r} not found")


async def count_models(session: AsyncSession) -> int:
    """How many there are, under the row-cap lock (`runtime.db.caps`): then insert."""
    return await count_for_cap(session, ModelRow)


async def create_model(session: AsyncSession, model: Model) -> Model:
    session.add(ModelRow(**msgspec.structs.asdict(model)))
    with translate(_model_taken(model)):
        await session.flush()
    return model


async def get_model(session: AsyncSession, model_id: str) -> Model:
    row = await session.get(ModelRow, model_id)
    if row is None:
        raise NotFoundError(f"model {model_id!r} not found")
    return _model(row)


async def find_model_by_name(session: AsyncSession, name: str) -> Model | None:
    row = await session.scalar(select(ModelRow).where(ModelRow.model == name))
    return None if row is None else _model(row)


async def list_models(session: AsyncSession, page: PageRequest) -> list[Model]:
    stmt = paged(select(ModelRow), ModelRow.created_at, ModelRow.id, page)
    return [_model(row) for row in await session.scalars(stmt)]


async def update_model(session: AsyncSession, model: Model) -> Model:
    row = await session.get(ModelRow, model.id)
    if row is None:
        raise NotFoundError(f"model {model.id!r} not found")
    for field in msgspec.structs.fields(Model):
        if field.name not in ("id", "created_at"):
            setattr(row, field.name, getattr(model, field.name))
    with translate(_model_taken(model)):
        await session.flush()
    return _model(row)


async def delete_model_by_name(session: AsyncSession, name: str) -> None:
    result = await session.execute(delete(ModelRow).where(ModelRow.model == name))
    if getattr(result, "rowcount", 0) == 0:
        raise NotFoundError(f"model {name!r} not found")


async def list_model_names(session: AsyncSession, limit: int) -> list[str]:
    """The names of declared models, at most `limit` of them (for suggestions)."""
    return list(await session.scalars(select(ModelRow.model).order_by(ModelRow.model).limit(limit)))


async def list_all_backends(session: AsyncSession) -> list[Backend]:
    """Every registered backend (the reconcile loop observes each one)."""
    return [_backend(row) for row in await session.scalars(select(BackendRow))]


async def find_model_names(session: AsyncSession, names: list[str]) -> list[str]:
    """Which of these model names are declared."""
    return list(await session.scalars(select(ModelRow.model).where(ModelRow.model.in_(names))))
