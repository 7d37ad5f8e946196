"""Use cases of the download queue: list, enqueue, cancel and remove pulls."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

from runtime import errors
from runtime.db import Database
from runtime.downloads import store
from runtime.downloads.progress import ProgressHub
from runtime.downloads.types import Progress, PullJob


class DownloadService:
    """The queue as the API and the reconciler see it."""

    def __init__(
        self,
        db: Database,
        hub: ProgressHub,
        *,
        abort: Callable[[list[str]], None],
        on_enqueue: Callable[[], None],
        retry_after: float,
    ) -> None:
        self._db = db
        self._hub = hub
        self._abort = abort
        self._on_enqueue = on_enqueue
        self._retry_after = timedelta(seconds=retry_after)

    async def list_jobs(self) -> list[PullJob]:
        async with self._db.transaction() as session:
            return await store.list_jobs(session)

    async def enqueue(self, wanted: list[tuple[str, str, str]]) -> int:
        """Queue (backend id, base URL, model) pulls not queued yet; return how many were.

        Replicas may ask for the same pulls at the same moment: each pull is queued once (see
        `store.enqueue`), and rows are taken in one order everywhere so that two transactions
        waiting on each other's inserts cannot deadlock.
        """
        now = datetime.now(UTC)
        queued = 0
        async with self._db.transaction() as session:
            for backend_id, base_url, model in sorted(set(wanted)):
                queued += await store.enqueue(
                    session, backend_id, base_url, model, now, retry_after=self._retry_after
                )
        if queued:
            self._on_enqueue()
        return queued

    async def cancel(self, *, url: str | None, model: str | None) -> None:
        """Cancel the pulls of a backend URL (preferred) or of a model, stopping them now."""
        if not url and not model:
            raise errors.BadRequestError(
                "serverops: bad path value: required query parameter 'url' or 'model' is missing",
                param="url",
            )
        async with self._db.transaction() as session:
            ids = await store.cancel(
                session, datetime.now(UTC), base_url=url.rstrip("/") if url else None, model=model
            )
        self._abort(ids)

    async def remove_model(self, model: str) -> None:
        """Drop every job of a model from the queue, stopping a running pull of it."""
        async with self._db.transaction() as session:
            ids = await store.remove_model(session, model)
        self._abort(ids)

    def progress(self) -> AsyncIterator[Progress]:
        return self._hub.subscribe()
