"""SQL for API keys and for the windowed counters of rate limits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.db.dialect import insert
from runtime.db.tables.identity import ApiKeyRow, RateCountRow
from runtime.errors import NotFoundError
from runtime.identity.types import ApiKey, Limits


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        prefix=row.prefix,
        name=row.name,
        scopes=tuple(row.scopes),
        groups=None if row.groups is None else tuple(row.groups),
        limits=Limits(rpm=row.rpm, tpm=row.tpm),
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        created_at=row.created_at,
    )


async def create_key(session: AsyncSession, key: ApiKey, secret_hash: str) -> None:
    session.add(
        ApiKeyRow(
            id=key.id,
            prefix=key.prefix,
            name=key.name,
            scopes=list(key.scopes),
            groups=None if key.groups is None else list(key.groups),
            rpm=key.limits.rpm,
            tpm=key.limits.tpm,
            expires_at=key.expires_at,
            last_used_at=key.last_used_at,
            created_at=key.created_at,
            secret_hash=secret_hash,
        )
    )
    await session.flush()


async def list_keys(session: AsyncSession) -> list[ApiKey]:
    rows = await session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id))
    return [_key(row) for row in rows]


async def find_key(session: AsyncSession, prefix: str) -> tuple[ApiKey, str] | None:
    """The key with this prefix and the hash of its secret, if there is one."""
    row = await session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix))
    return None if row is None else (_key(row), row.secret_hash)


async def delete_key(session: AsyncSession, key_id: str) -> None:
    done = await session.execute(delete(ApiKeyRow).where(ApiKeyRow.id == key_id))
    if not done.rowcount:  # type: ignore[attr-defined]
        raise NotFoundError(f"API key {key_id!r} not found", param="id")


async def touch_key(session: AsyncSession, key_id: str, now: datetime) -> None:
    await session.execute(update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(last_used_at=now))


async def add_use(session: AsyncSession, subject: str, window: int, amount: int) -> int:
    """Add `amount` to the subject's use in `window` (atomically); the new total."""
    stmt = insert(session, RateCountRow).values(subject=subject, window=window, used=amount)
    upsert = stmt.on_conflict_do_update(
        index_elements=[RateCountRow.subject, RateCountRow.window],
        set_={"used": RateCountRow.used + stmt.excluded.used},
    ).returning(RateCountRow.used)
    return int((await session.execute(upsert)).scalar_one())


async def forget_windows(session: AsyncSession, before: int) -> None:
    """Drop the counters of windows older than `before`."""
    await session.execute(delete(RateCountRow).where(RateCountRow.window < before))
