"""The generic leased job queue: enqueue in the caller's transaction, lease, done, failed."""

from runtime.jobs.duration import parse_duration
from runtime.jobs.service import JobService
from runtime.jobs.types import Job, JobStatus, Lease

__all__ = ["Job", "JobService", "JobStatus", "Lease", "parse_duration"]
