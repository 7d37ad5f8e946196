"""/queue: the durable model download queue, cancellation, and live progress over SSE."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import msgspec
from litestar import Controller, Response, delete, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import ServerSentEvent

from runtime.api.base import ApiStruct, literal
from runtime.downloads import DownloadService, Progress, PullJob


class ModelJobOut(ApiStruct):
    """What to pull where."""

    url: str
    model: str


class QueueItemOut(ApiStruct):
    """A queued, running, failed or cancelled pull, in the API reference's job shape."""

    id: str
    task_type: str
    model_job: ModelJobOut
    scheduled_for: int
    valid_until: int
    created_at: datetime
    status: str
    attempts: int
    error: str
    total: int
    completed: int

    @classmethod
    def from_domain(cls, job: PullJob) -> QueueItemOut:
        return cls(
            id=job.id,
            task_type="model_download",
            model_job=ModelJobOut(url=job.base_url, model=job.model),
            scheduled_for=int(job.not_before.timestamp()),
            valid_until=0,
            created_at=job.created_at,
            status=job.status.value,
            attempts=job.attempts,
            error=job.error,
            total=job.total,
            completed=job.completed,
        )


class ProgressOut(msgspec.Struct, omit_defaults=True):
    """A progress report as the reference streams it (`digest`, `total`, `completed` if set)."""

    status: str
    model: str
    baseUrl: str  # noqa: N815 - the API reference's spelling
    digest: str = ""
    total: int = 0
    completed: int = 0


async def _events(reports: AsyncIterator[Progress]) -> AsyncIterator[str]:
    async for report in reports:
        out = ProgressOut(
            status=report.status,
            model=report.model,
            baseUrl=report.base_url,
            digest=report.digest,
            total=report.total,
            completed=report.completed,
        )
        yield msgspec.json.encode(out).decode()


class QueueController(Controller):
    """The download queue."""

    path = "/queue"

    @get()
    async def list_queue(self, downloads: NamedDependency[DownloadService]) -> list[QueueItemOut]:
        return [QueueItemOut.from_domain(job) for job in await downloads.list_jobs()]

    @get("/inProgress")
    async def stream_progress(self, downloads: NamedDependency[DownloadService]) -> ServerSentEvent:
        return ServerSentEvent(_events(downloads.progress()), headers={"Cache-Control": "no-cache"})

    @delete("/cancel", status_code=200)
    async def cancel_download(
        self,
        downloads: NamedDependency[DownloadService],
        url: FromQuery[str | None] = None,
        model: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        await downloads.cancel(url=url, model=model)
        return literal("Model download cancellation initiated")

    @delete("/{model:str}", status_code=200)
    async def remove_queued_model(
        self, model: FromPath[str], downloads: NamedDependency[DownloadService]
    ) -> Response[bytes]:
        await downloads.remove_model(model)
        return literal("Model removed from queue")
