"""/jobs and /leases: the leased job queue, for the built-in indexer and external workers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody

from runtime.api.base import ApiStruct, Description, Kind, Name, literal, page_request
from runtime.jobs import Job, JobService, Lease, parse_duration


class JobOut(ApiStruct):
    """A job: its type, subject (for `index_file`: the file id), state and lease."""

    id: str
    job_type: str
    subject_id: str
    payload: dict[str, Any]
    status: str
    attempts: int
    max_attempts: int
    error: str
    leaser_id: str | None
    lease_expiration: datetime | None
    scheduled_for: datetime
    created_at: datetime

    @classmethod
    def from_domain(cls, job: Job) -> JobOut:
        return cls(
            id=job.id,
            job_type=job.job_type,
            subject_id=job.subject,
            payload=job.payload,
            status=job.status.value,
            attempts=job.attempts,
            max_attempts=job.max_attempts,
            error=job.error,
            leaser_id=job.leaser_id,
            lease_expiration=job.lease_until,
            scheduled_for=job.not_before,
            created_at=job.created_at,
        )


class AssignRequest(ApiStruct):
    """`dispatchapi_AssignRequest`: `leaseDuration` is a Go duration such as `30s`."""

    leaser_id: Name
    lease_duration: Kind
    job_types: list[Kind]


class JobUpdate(ApiStruct):
    """`dispatchapi_JobUpdateRequest`; `error` (ours) says why a job failed."""

    leaser_id: Name
    error: Description = ""


class JobController(Controller):
    """Jobs waiting for a leaser and jobs under a running lease; finishing and failing them."""

    path = "/jobs"

    @get("/pending")
    async def list_pending_jobs(
        self,
        jobs: NamedDependency[JobService],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> list[JobOut]:
        found = await jobs.pending(page_request(limit, cursor))
        return [JobOut.from_domain(job) for job in found]

    @get("/in-progress")
    async def list_jobs_in_progress(
        self,
        jobs: NamedDependency[JobService],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> list[JobOut]:
        found = await jobs.in_progress(page_request(limit, cursor))
        return [JobOut.from_domain(job) for job in found]

    @patch("/{job_id:str}/done")
    async def finish_job(
        self, job_id: FromPath[str], data: JSONBody[JobUpdate], jobs: NamedDependency[JobService]
    ) -> Response[bytes]:
        await jobs.done(job_id, data.leaser_id)
        return literal("job done")

    @patch("/{job_id:str}/failed")
    async def fail_job(
        self, job_id: FromPath[str], data: JSONBody[JobUpdate], jobs: NamedDependency[JobService]
    ) -> Response[bytes]:
        await jobs.failed(job_id, data.leaser_id, data.error or "failed by its leaser")
        return literal("job marked as failed")


class LeaseController(Controller):
    """Leasing: the oldest due job of the asked types, held until the lease runs out."""

    path = "/leases"

    @post(responses={204: ResponseSpec(None, description="No job of these types is due.")})
    async def lease_job(
        self, data: JSONBody[AssignRequest], jobs: NamedDependency[JobService]
    ) -> Response[JobOut | None]:
        lease = Lease(
            leaser_id=data.leaser_id,
            duration=parse_duration(data.lease_duration),
            job_types=tuple(data.job_types),
        )
        job = await jobs.lease(lease)
        if job is None:
            return Response(None, status_code=204)
        return Response(JobOut.from_domain(job), status_code=201)
