"""SQL for API keys, users, shared secrets and the windowed counters of rate limits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.db.dialect import insert
from runtime.db.errors import translate
from runtime.db.paging import paged
from runtime.db.tables.identity import (
    AccessEntryRow,
    ApiKeyRow,
    IdentitySecretRow,
    RateCountRow,
    UserRow,
)
from runtime.errors import NotFoundError
from runtime.identity.access import AccessEntry
from runtime.identity.types import ApiKey, Limits, User
from runtime.paging import PageRequest


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


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        email=row.email,
        friendly_name=row.friendly_name,
        scopes=tuple(row.scopes),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def create_user(session: AsyncSession, user: User, password_hash: str) -> None:
    session.add(
        UserRow(
            id=user.id,
            email=user.email,
            friendly_name=user.friendly_name,
            scopes=list(user.scopes),
            password_hash=password_hash,
            token_version=0,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )
    )
    with translate(conflict=f"a user with email {user.email!r} already exists"):
        await session.flush()


async def count_users(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(UserRow)) or 0)


async def list_users(session: AsyncSession, page: PageRequest) -> list[User]:
    stmt = paged(select(UserRow), UserRow.created_at, UserRow.id, page)
    return [_user(row) for row in await session.scalars(stmt)]


async def _user_row(session: AsyncSession, user_id: str) -> UserRow:
    row = await session.get(UserRow, user_id)
    if row is None:
        raise NotFoundError(f"user {user_id!r} not found", param="id")
    return row


async def get_user(session: AsyncSession, user_id: str) -> tuple[User, int]:
    """The user and its token version."""
    row = await _user_row(session, user_id)
    return _user(row), row.token_version


async def find_login(session: AsyncSession, email: str) -> tuple[User, str, int] | None:
    """The user with this email, its password hash and token version, if there is one."""
    row = await session.scalar(select(UserRow).where(UserRow.email == email))
    return None if row is None else (_user(row), row.password_hash, row.token_version)


async def update_user(
    session: AsyncSession, user_id: str, changes: dict[str, Any], now: datetime
) -> User:
    row = await _user_row(session, user_id)
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = now
    with translate(conflict=f"a user with email {row.email!r} already exists"):
        await session.flush()
    return _user(row)


async def revoke_tokens(session: AsyncSession, user_id: str) -> None:
    """Every token issued to the user so far stops working."""
    await session.execute(
        update(UserRow).where(UserRow.id == user_id).values(token_version=UserRow.token_version + 1)
    )


async def delete_user(session: AsyncSession, user_id: str) -> None:
    await session.delete(await _user_row(session, user_id))
    await session.flush()


async def shared_secret(session: AsyncSession, name: str, candidate: str) -> str:
    """The secret named `name`: `candidate` if none was stored yet (first start wins)."""
    stmt = insert(session, IdentitySecretRow).values(name=name, value=candidate)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=[IdentitySecretRow.name]))
    stored = await session.get(IdentitySecretRow, name)
    assert stored is not None  # noqa: S101 - just inserted or already there
    return stored.value


def _entry(row: AccessEntryRow) -> AccessEntry:
    return AccessEntry(
        id=row.id,
        identity=row.identity,
        resource=row.resource,
        resource_type=row.resource_type,
        permission=row.permission,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def create_entry(session: AsyncSession, entry: AccessEntry) -> None:
    session.add(AccessEntryRow(**msgspec.structs.asdict(entry)))
    with translate(conflict="the identity already has an entry on this resource"):
        await session.flush()


async def list_entries(
    session: AsyncSession, page: PageRequest, identity: str | None
) -> list[AccessEntry]:
    stmt = select(AccessEntryRow)
    if identity:
        stmt = stmt.where(AccessEntryRow.identity == identity)
    paged_stmt = paged(stmt, AccessEntryRow.created_at, AccessEntryRow.id, page)
    return [_entry(row) for row in await session.scalars(paged_stmt)]


async def entries_on(session: AsyncSession, resource_type: str, resource: str) -> dict[str, str]:
    """Identity -> permission on one resource."""
    stmt = select(AccessEntryRow.identity, AccessEntryRow.permission).where(
        AccessEntryRow.resource_type == resource_type, AccessEntryRow.resource == resource
    )
    return {row[0]: row[1] for row in (await session.execute(stmt)).all()}


async def resources_of(
    session: AsyncSession, identity: str, resource_type: str, permissions: tuple[str, ...]
) -> list[str]:
    """The resources of `resource_type` on which `identity` holds one of `permissions`."""
    stmt = select(AccessEntryRow.resource).where(
        AccessEntryRow.identity == identity,
        AccessEntryRow.resource_type == resource_type,
        AccessEntryRow.permission.in_(permissions),
    )
    return list(await session.scalars(stmt))


async def entries_of_types(
    session: AsyncSession, resource_types: tuple[str, ...]
) -> dict[tuple[str, str], dict[str, str]]:
    """(resource type, resource) -> identity -> permission, for every resource of these types."""
    stmt = select(
        AccessEntryRow.resource_type,
        AccessEntryRow.resource,
        AccessEntryRow.identity,
        AccessEntryRow.permission,
    ).where(AccessEntryRow.resource_type.in_(resource_types))
    found: dict[tuple[str, str], dict[str, str]] = {}
    for kind, resource, identity, permission in (await session.execute(stmt)).all():
        found.setdefault((kind, resource), {})[identity] = permission
    return found


async def _entry_row(session: AsyncSession, entry_id: str) -> AccessEntryRow:
    row = await session.get(AccessEntryRow, entry_id)
    if row is None:
        raise NotFoundError(f"access entry {entry_id!r} not found", param="id")
    return row


async def get_entry(session: AsyncSession, entry_id: str) -> AccessEntry:
    return _entry(await _entry_row(session, entry_id))


async def update_entry(
    session: AsyncSession, entry_id: str, changes: dict[str, str], now: datetime
) -> AccessEntry:
    row = await _entry_row(session, entry_id)
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = now
    with translate(conflict="the identity already has an entry on this resource"):
        await session.flush()
    return _entry(row)


async def delete_entry(session: AsyncSession, entry_id: str) -> AccessEntry:
    row = await _entry_row(session, entry_id)
    entry = _entry(row)
    await session.delete(row)
    await session.flush()
    return entry
