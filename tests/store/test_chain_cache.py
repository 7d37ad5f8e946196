"""Stored chains are cached briefly: own changes show at once, another replica's within the TTL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from runtime import errors
from runtime.chainstore import ChainService
from runtime.chainstore.service import CHAIN_TTL
from runtime.db import Database
from runtime.paging import PageRequest
from runtime.taskengine.schema import decode_chain


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


def chain(description: str) -> dict[str, object]:
    return {
        "id": "c",
        "description": description,
        "tasks": [
            {
                "id": "t",
                "handler": "noop",
                "transition": {"branches": [{"operator": "default", "goto": "end"}]},
            }
        ],
    }


async def test_own_changes_show_at_once_and_a_replicas_after_the_ttl(db: Database) -> None:
    now = [0.0]
    mine = ChainService(db, monotonic=lambda: now[0])
    other = ChainService(db)
    await mine.save(decode_chain(chain("one")))
    assert (await mine.get("c")).description == "one"
    await mine.save(decode_chain(chain("two")))
    assert (await mine.get("c")).description == "two"  # own change: entry forgotten
    await other.replace("c", decode_chain(chain("three")))
    assert (await mine.get("c")).description == "two"  # another replica's: cached a while
    now[0] += CHAIN_TTL
    assert (await mine.get("c")).description == "three"
    await mine.delete("c")
    with pytest.raises(errors.NotFoundError):
        await mine.get("c")


async def test_replicas_seeding_the_same_chain_at_once_store_it_once(db_url: str) -> None:
    replicas = [Database(db_url), Database(db_url)]
    try:
        services = [ChainService(db) for db in replicas]
        saves = [services[n % 2].save(decode_chain(chain(f"v{n}"))) for n in range(16)]
        await asyncio.gather(*saves)  # none fails: each replica's start-up seeding succeeds
        found = await services[0].list_page(PageRequest(limit=10))
        assert [c.id for c in found] == ["c"]
        assert found[0].description in {f"v{n}" for n in range(16)}
    finally:
        for db in replicas:
            await db.dispose()
