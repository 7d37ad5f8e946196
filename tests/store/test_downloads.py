"""The pull queue's SQL on the real database: dedup (under races too), leases, cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from runtime.db import Database
from runtime.downloads import JobStatus, store
from runtime.registry import store as registry_store
from runtime.registry.types import Backend, BackendKind

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LEASE = timedelta(seconds=15)
RETRY = timedelta(minutes=10)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    async with database.transaction() as session:
        for n in (1, 2):
            await registry_store.create_backend(
                session,
                Backend(
                    id=f"b{n}",
                    name=f"b{n}",
                    base_url=f"http://h{n}:1",
                    type=BackendKind.OLLAMA,
                    created_at=T0,
                    updated_at=T0,
                ),
            )
    yield database
    await database.dispose()


async def enqueue(db: Database, backend: str, model: str, now: datetime = T0) -> bool:
    async with db.transaction() as session:
        return await store.enqueue(
            session, backend, f"http://h{backend[-1]}:1", model, now, retry_after=RETRY
        )


async def test_a_pull_is_queued_once_per_backend_and_model(db: Database) -> None:
    assert await enqueue(db, "b1", "m:1")
    assert not await enqueue(db, "b1", "m:1")
    assert await enqueue(db, "b2", "m:1")
    async with db.transaction() as session:
        jobs = await store.list_jobs(session)
    assert [(j.backend_id, j.model, j.status) for j in jobs] == [
        ("b1", "m:1", JobStatus.QUEUED),
        ("b2", "m:1", JobStatus.QUEUED),
    ]


async def test_claimed_job_is_not_claimed_again_until_its_lease_runs_out(db: Database) -> None:
    await enqueue(db, "b1", "m:1")
    async with db.transaction() as session:
        first = await store.claim(session, "w1", T0, LEASE)
        second = await store.claim(session, "w2", T0 + timedelta(seconds=5), LEASE)
    assert first is not None
    assert first.attempts == 1
    assert second is None
    async with db.transaction() as session:
        stolen = await store.claim(session, "w2", T0 + timedelta(seconds=16), LEASE)
    assert stolen is not None
    assert stolen.lease_owner == "w2"
    assert stolen.attempts == 2
    async with db.transaction() as session:
        assert not await store.renew(session, first, T0, LEASE, total=1, completed=1)


async def test_two_workers_claiming_at_once_get_different_jobs(db: Database) -> None:
    await enqueue(db, "b1", "m:1")
    await enqueue(db, "b2", "m:1")

    async def claim(owner: str) -> str | None:
        async with db.transaction() as session:
            job = await store.claim(session, owner, T0, LEASE)
            await asyncio.sleep(0.05)
            return None if job is None else job.id

    got = await asyncio.gather(*(claim(f"w{n}") for n in range(4)))
    claimed = [job for job in got if job is not None]
    assert len(claimed) == 2
    assert len(set(claimed)) == 2


async def test_cancelled_job_stops_renewing_and_is_not_requeued_before_retry_after(
    db: Database,
) -> None:
    await enqueue(db, "b1", "m:1")
    async with db.transaction() as session:
        job = await store.claim(session, "w1", T0, LEASE)
        assert job is not None
        ids = await store.cancel(session, T0, base_url=None, model="m:1")
    assert ids == [job.id]
    async with db.transaction() as session:
        assert not await store.renew(session, job, T0, LEASE, total=0, completed=0)
        assert await store.claim(session, "w1", T0 + timedelta(hours=1), LEASE) is None
    assert not await enqueue(db, "b1", "m:1", T0 + timedelta(minutes=1))
    assert await enqueue(db, "b1", "m:1", T0 + timedelta(minutes=11))


async def test_failed_attempt_waits_for_its_backoff(db: Database) -> None:
    await enqueue(db, "b1", "m:1")
    async with db.transaction() as session:
        job = await store.claim(session, "w1", T0, LEASE)
        assert job is not None
        await store.settle(
            session, job, JobStatus.QUEUED, "boom", T0, not_before=T0 + timedelta(seconds=30)
        )
    async with db.transaction() as session:
        assert await store.claim(session, "w1", T0 + timedelta(seconds=10), LEASE) is None
        again = await store.claim(session, "w1", T0 + timedelta(seconds=31), LEASE)
    assert again is not None
    assert again.error == "boom"


async def test_finished_job_leaves_the_queue_and_removal_drops_every_state(db: Database) -> None:
    await enqueue(db, "b1", "m:1")
    await enqueue(db, "b2", "m:1")
    async with db.transaction() as session:
        job = await store.claim(session, "w1", T0, LEASE)
        assert job is not None
        await store.finish(session, job)
        assert [j.backend_id for j in await store.list_jobs(session)] == ["b2"]
        assert len(await store.remove_model(session, "m:1")) == 1
        assert await store.list_jobs(session) == []


async def test_deleting_a_backend_deletes_its_jobs(db: Database) -> None:
    await enqueue(db, "b1", "m:1")
    async with db.transaction() as session:
        await registry_store.delete_backend(session, "b1")
        assert await store.list_jobs(session) == []


# Replicas reconciling at once enqueue the same pull from many transactions together.
CALLERS = 24


@pytest.fixture
async def replicas(db_url: str, db: Database) -> AsyncIterator[list[Database]]:
    """The seeded database of `db` and a second engine on it: two replicas' connection pools."""
    other = Database(db_url)
    yield [db, other]
    await other.dispose()


async def enqueue_together(replicas: list[Database], now: datetime = T0) -> list[bool]:
    start = asyncio.Event()

    async def one(n: int) -> bool:
        async with replicas[n % len(replicas)].transaction() as session:
            await session.connection()  # in a transaction of its own before any of them asks
            await start.wait()
            return await store.enqueue(session, "b1", "http://h1:1", "m:1", now, retry_after=RETRY)

    calls = [asyncio.ensure_future(one(n)) for n in range(CALLERS)]
    await asyncio.sleep(0)
    start.set()
    return await asyncio.gather(*calls)


async def jobs(db: Database) -> list[tuple[str, str, JobStatus, int]]:
    async with db.transaction() as session:
        found = await store.list_jobs(session)
    return [(j.backend_id, j.model, j.status, j.attempts) for j in found]


async def test_concurrent_enqueues_of_one_pull_write_one_row_and_one_says_queued(
    replicas: list[Database],
) -> None:
    answers = await enqueue_together(replicas)
    assert answers.count(True) == 1
    assert await jobs(replicas[0]) == [("b1", "m:1", JobStatus.QUEUED, 0)]


async def test_concurrent_requeues_of_an_old_failed_pull_requeue_it_once(
    replicas: list[Database],
) -> None:
    db = replicas[0]
    assert await enqueue(db, "b1", "m:1")
    async with db.transaction() as session:
        job = await store.claim(session, "w1", T0, LEASE)
        assert job is not None
        await store.settle(session, job, JobStatus.FAILED, "boom", T0)
    answers = await enqueue_together(replicas, T0 + RETRY + timedelta(seconds=1))
    assert answers.count(True) == 1
    assert await jobs(db) == [("b1", "m:1", JobStatus.QUEUED, 0)]


async def test_a_recent_failure_is_not_requeued_however_many_ask(
    replicas: list[Database],
) -> None:
    db = replicas[0]
    assert await enqueue(db, "b1", "m:1")
    async with db.transaction() as session:
        job = await store.claim(session, "w1", T0, LEASE)
        assert job is not None
        await store.settle(session, job, JobStatus.FAILED, "boom", T0)
    answers = await enqueue_together(replicas, T0 + RETRY - timedelta(seconds=1))
    assert answers.count(True) == 0
    assert await jobs(db) == [("b1", "m:1", JobStatus.FAILED, 1)]
