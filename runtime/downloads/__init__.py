"""The durable queue of model pulls: enqueue, claim, run, cancel, report progress."""

from runtime.downloads.service import DownloadService
from runtime.downloads.types import JobStatus, Progress, PullJob

__all__ = ["DownloadService", "JobStatus", "Progress", "PullJob"]
