"""SQL for cloud provider credentials."""

from __future__ import annotations

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.db.caps import count_for_cap
from runtime.db.paging import paged
from runtime.db.tables.providers import ProviderConfigRow
from runtime.errors import NotFoundError
from runtime.paging import PageRequest
from runtime.providerconfig.types import CloudProvider, ProviderConfig


def _config(row: ProviderConfigRow) -> ProviderConfig:
    return msgspec.convert(row, ProviderConfig, from_attributes=True)


async def count_configs(session: AsyncSession) -> int:
    """How many there are, under the row-cap lock (`runtime.db.caps`): then insert."""
    return await count_for_cap(session, ProviderConfigRow)


async def find_config(session: AsyncSession, provider: CloudProvider) -> ProviderConfig | None:
    row = await session.get(ProviderConfigRow, provider.value)
    return None if row is None else _config(row)


async def put_config(session: AsyncSession, config: ProviderConfig) -> ProviderConfig:
    """Insert or replace the stored key of a provider."""
    row = await session.get(ProviderConfigRow, config.provider.value)
    if row is None:
        session.add(ProviderConfigRow(**msgspec.structs.asdict(config)))
    else:
        row.api_key, row.updated_at = config.api_key, config.updated_at
        row.base_url = config.base_url
    await session.flush()
    return config


async def list_configs(session: AsyncSession, page: PageRequest) -> list[ProviderConfig]:
    stmt = paged(
        select(ProviderConfigRow), ProviderConfigRow.created_at, ProviderConfigRow.provider, page
    )
    return [_config(row) for row in await session.scalars(stmt)]


async def delete_config(session: AsyncSession, provider: CloudProvider) -> None:
    result = await session.execute(
        delete(ProviderConfigRow).where(ProviderConfigRow.provider == provider.value)
    )
    if getattr(result, "rowcount", 0) == 0:
        raise NotFoundError(f"provider {provider.value!r} is not configured")
