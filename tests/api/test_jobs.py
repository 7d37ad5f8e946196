"""/jobs and /leases: the leased queue as an external worker sees it (index jobs of files)."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.app import create_app
from runtime.config import Settings
from tests.api.test_files import upload
from tests.waiting import eventually

Client = AsyncTestClient[Litestar]


@pytest.fixture
def settings(db_url: str) -> Settings:
    """No built-in indexer: the tests are the only leasers."""
    return Settings(database_url=db_url, chains_dir="", index_workers=0)


LEASE = {"leaserId": "worker-1", "leaseDuration": "30s", "jobTypes": ["index_file"]}


async def test_storing_a_file_queues_one_index_job_a_worker_can_lease(client: Client) -> None:
    file_id = (await upload(client, "a.txt", b"hello")).json()["id"]
    pending = (await client.get("/jobs/pending")).json()
    assert [(job["jobType"], job["subjectId"]) for job in pending] == [("index_file", file_id)]
    leased = await client.post("/leases", json=LEASE)
    assert leased.status_code == 201
    job = leased.json()
    assert job["leaserId"] == "worker-1"
    assert job["attempts"] == 1
    assert (await client.get("/jobs/pending")).json() == []
    assert [j["id"] for j in (await client.get("/jobs/in-progress")).json()] == [job["id"]]
    assert (await client.get(f"/files/{file_id}")).json()["indexState"] == "indexing"
    assert (await client.post("/leases", json=LEASE)).status_code == 204
    done = await client.patch(f"/jobs/{job['id']}/done", json={"leaserId": "worker-1"})
    assert done.status_code == 200
    assert (await client.get("/jobs/in-progress")).json() == []


async def test_a_leaser_that_does_not_hold_the_job_is_a_conflict(client: Client) -> None:
    await upload(client, "a.txt", b"hello")
    job = (await client.post("/leases", json=LEASE)).json()
    for verb in ("done", "failed"):
        response = await client.patch(f"/jobs/{job['id']}/{verb}", json={"leaserId": "other"})
        assert response.status_code == 409
        assert response.json()["error"]["param"] == "leaserId"
    assert len((await client.get("/jobs/in-progress")).json()) == 1
    missing = await client.patch("/jobs/nope/done", json={"leaserId": "worker-1"})
    assert missing.status_code == 404


async def test_a_lease_that_runs_out_puts_the_job_back(client: Client) -> None:
    await upload(client, "a.txt", b"hello")
    short = LEASE | {"leaseDuration": "100ms"}
    first = (await client.post("/leases", json=short)).json()
    await asyncio.sleep(0.2)
    assert [j["id"] for j in (await client.get("/jobs/pending")).json()] == [first["id"]]
    second = (await client.post("/leases", json=LEASE | {"leaserId": "worker-2"})).json()
    assert second["id"] == first["id"]
    assert second["attempts"] == 2
    late = await client.patch(f"/jobs/{first['id']}/done", json={"leaserId": "worker-1"})
    assert late.status_code == 409


async def test_a_job_that_keeps_failing_stops_after_its_attempts(settings: Settings) -> None:
    quick = msgspec.structs.replace(settings, job_retry=0.01, index_attempts=3)
    async with AsyncTestClient(create_app(quick)) as client:
        file_id = (await upload(client, "a.txt", b"hello")).json()["id"]
        for attempt in range(1, 4):
            job = await eventually(lambda: _lease(client))
            assert job["attempts"] == attempt
            failed = await client.patch(
                f"/jobs/{job['id']}/failed", json={"leaserId": "worker-1", "error": "parser broke"}
            )
            assert failed.status_code == 200
        await asyncio.sleep(0.05)
        assert (await client.post("/leases", json=LEASE)).status_code == 204
        assert (await client.get("/jobs/pending")).json() == []
        state = (await client.get(f"/files/{file_id}")).json()
        assert (state["indexState"], state["indexError"]) == ("failed", "parser broke")


async def _lease(client: Client) -> dict[str, Any] | None:
    response = await client.post("/leases", json=LEASE)
    return response.json() if response.status_code == 201 else None


async def test_replacing_a_file_restarts_its_job_and_ends_the_old_lease(client: Client) -> None:
    file_id = (await upload(client, "a.txt", b"hello")).json()["id"]
    job = (await client.post("/leases", json=LEASE)).json()
    await client.put(f"/files/{file_id}", files={"file": ("a.txt", b"new", "text/plain")})
    stale = await client.patch(f"/jobs/{job['id']}/done", json={"leaserId": "worker-1"})
    assert stale.status_code == 409
    again = (await client.post("/leases", json=LEASE)).json()
    assert (again["subjectId"], again["attempts"]) == (file_id, 1)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (LEASE | {"leaseDuration": "soon"}, "leaseDuration"),
        (LEASE | {"leaseDuration": "0s"}, "leaseDuration"),
        (LEASE | {"leaseDuration": "25h"}, "leaseDuration"),
        (LEASE | {"leaserId": ""}, "leaserId"),
        (LEASE | {"jobTypes": []}, "jobTypes"),
    ],
)
async def test_a_malformed_lease_request_is_unprocessable(
    client: Client, body: dict[str, object], param: str
) -> None:
    response = await client.post("/leases", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["param"] == param
