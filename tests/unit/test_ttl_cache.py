"""TtlCache: entries live for their TTL, concurrent misses share one load, forgetting wins."""

from __future__ import annotations

import asyncio

import pytest

from runtime.cache import TtlCache


class Loader:
    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.fail = False

    async def __call__(self, key: str) -> str:
        self.calls += 1
        await self.release.wait()
        if self.fail:
            raise LookupError(key)
        return f"{key}#{self.calls}"


async def test_concurrent_misses_share_one_load() -> None:
    cache: TtlCache[str, str] = TtlCache(1.0)
    load = Loader()
    waiting = [asyncio.ensure_future(cache.get("k", load)) for _ in range(50)]
    await asyncio.sleep(0)
    load.release.set()
    assert set(await asyncio.gather(*waiting)) == {"k#1"}
    assert load.calls == 1


async def test_an_entry_is_reloaded_once_its_ttl_passed() -> None:
    now = [0.0]
    cache: TtlCache[str, str] = TtlCache(1.0, clock=lambda: now[0])
    load = Loader()
    load.release.set()
    assert await cache.get("k", load) == "k#1"
    now[0] = 0.9
    assert await cache.get("k", load) == "k#1"
    now[0] = 1.0
    assert await cache.get("k", load) == "k#2"


async def test_a_failed_load_reaches_every_waiter_and_is_not_kept() -> None:
    cache: TtlCache[str, str] = TtlCache(1.0)
    load = Loader()
    load.fail = True
    waiting = [asyncio.ensure_future(cache.get("k", load)) for _ in range(3)]
    await asyncio.sleep(0)
    load.release.set()
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(o, LookupError) for o in outcomes)
    load.fail = False
    assert await cache.get("k", load) == "k#2"


async def test_a_value_loading_while_its_key_is_forgotten_is_not_kept() -> None:
    cache: TtlCache[str, str] = TtlCache(1.0)
    load = Loader()
    first = asyncio.ensure_future(cache.get("k", load))
    await asyncio.sleep(0)
    cache.forget("k")  # changed meanwhile: what is being read may be the old value
    load.release.set()
    assert await first == "k#1"
    assert await cache.get("k", load) == "k#2"


async def test_a_waiter_that_leaves_does_not_cancel_the_load() -> None:
    cache: TtlCache[str, str] = TtlCache(1.0)
    load = Loader()
    leaving = asyncio.ensure_future(cache.get("k", load))
    staying = asyncio.ensure_future(cache.get("k", load))
    await asyncio.sleep(0)
    leaving.cancel()
    load.release.set()
    assert await staying == "k#1"
    with pytest.raises(asyncio.CancelledError):
        await leaving
