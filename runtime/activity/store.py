"""SQL for activity records: batched inserts, newest-first reads, pruning, queue depths."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from runtime.activity.types import OperationOut, RequestOut, RequestState
from runtime.db.tables.activity import ActivityOperationRow, ActivityRequestRow
from runtime.db.tables.downloads import PullJobRow
from runtime.db.tables.functions import FunctionJobRow

_REQUESTS = ActivityRequestRow.metadata.tables["activity_requests"]
_OPERATIONS = ActivityOperationRow.metadata.tables["activity_operations"]
_ADD_REQUESTS = insert(_REQUESTS)
_ADD_OPERATIONS = insert(_OPERATIONS)


def add(conn: Connection, requests: list[dict[str, Any]], operations: list[dict[str, Any]]) -> int:
    """Store request and operation records (a `Database.write` unit); how many."""
    if requests:
        conn.execute(_ADD_REQUESTS, requests)
    if operations:
        conn.execute(_ADD_OPERATIONS, operations)
    return len(requests) + len(operations)


async def requests(
    session: AsyncSession,
    *,
    limit: int,
    before: int | None = None,
    status: tuple[int, int] | None = None,
    request_id: str | None = None,
    **equal: str | None,
) -> list[RequestOut]:
    """Newest first; `status` is an inclusive range (a code, or a class such as 5xx).

    `equal` filters columns by value: `route`, `model`, `backend`.
    """
    query = select(ActivityRequestRow).order_by(ActivityRequestRow.pk.desc()).limit(limit)
    if before is not None:
        query = query.where(ActivityRequestRow.pk < before)
    if status is not None:
        query = query.where(ActivityRequestRow.status.between(*status))
    for name in ("route", "model", "backend"):
        value = equal.get(name)
        if value:
            query = query.where(getattr(ActivityRequestRow, name) == value)
    if request_id:
        query = query.where(ActivityRequestRow.request_id == request_id)
    return [_request_out(row) for row in (await session.scalars(query)).all()]


async def chain_state(session: AsyncSession, request_id: str) -> RequestState | None:
    """The newest request with this id and its chain's steps (`steps` None: no chain ran)."""
    query = (
        select(ActivityRequestRow)
        .where(ActivityRequestRow.request_id == request_id)
        .order_by(ActivityRequestRow.pk.desc())
        .limit(1)
    )
    row = await session.scalar(query)
    if row is None:
        return None
    detail = _detail(row.detail)
    return RequestState(
        id=row.request_id, chain=detail.get("chain") or "", steps=detail.get("steps")
    )


async def operations(
    session: AsyncSession,
    *,
    limit: int,
    before: int | None = None,
    op: str | None = None,
    subject: str | None = None,
    outcome: str | None = None,
) -> list[OperationOut]:
    query = select(ActivityOperationRow).order_by(ActivityOperationRow.pk.desc()).limit(limit)
    if before is not None:
        query = query.where(ActivityOperationRow.pk < before)
    if op:
        query = query.where(ActivityOperationRow.op == op)
    if subject:
        query = query.where(ActivityOperationRow.subject == subject)
    if outcome:
        query = query.where(ActivityOperationRow.outcome == outcome)
    return [_operation_out(row) for row in (await session.scalars(query)).all()]


def prune(conn: Connection, *, older_than: datetime, keep: int) -> int:
    """Drop records past the retention window, and all but the newest `keep` of each kind.

    A `Database.write` unit.
    """
    dropped = 0
    for row in (ActivityRequestRow, ActivityOperationRow):
        dropped += conn.execute(delete(row).where(row.started_at < older_than)).rowcount or 0
        cutoff = select(row.pk).order_by(row.pk.desc()).offset(keep).limit(1).scalar_subquery()
        dropped += conn.execute(delete(row).where(row.pk <= cutoff)).rowcount or 0
    return dropped


async def depths(session: AsyncSession) -> dict[str, int]:
    """How much work waits: pulls queued, trigger deliveries due."""
    pulls = await session.scalar(
        select(func.count()).select_from(PullJobRow).where(PullJobRow.status == "queued")
    )
    deliveries = await session.scalar(
        select(func.count())
        .select_from(FunctionJobRow)
        .where(FunctionJobRow.not_before <= datetime.now(UTC))
    )
    return {"pulls": int(pulls or 0), "deliveries": int(deliveries or 0)}


def _request_out(row: ActivityRequestRow) -> RequestOut:
    detail = _detail(row.detail)
    return RequestOut(
        id=row.request_id,
        node=row.node,
        startedAt=row.started_at.isoformat(),
        method=row.method,
        route=row.route,
        path=detail.get("path", ""),
        status=row.status,
        durationMs=row.duration_ms,
        model=row.model or None,
        backend=row.backend or None,
        key=row.key_prefix or None,
        error=row.error or None,
        traceId=detail.get("traceId") or None,
        firstTokenMs=detail.get("firstTokenMs"),
        tokensIn=detail.get("tokensIn", 0),
        tokensOut=detail.get("tokensOut", 0),
        chain=detail.get("chain"),
        skipped=detail.get("skipped", []),
        attempts=detail.get("attempts", []),
        cursor=row.pk,
    )


def _operation_out(row: ActivityOperationRow) -> OperationOut:
    return OperationOut(
        op=row.op,
        subject=row.subject,
        node=row.node,
        startedAt=row.started_at.isoformat(),
        durationMs=row.duration_ms,
        outcome=row.outcome,
        error=row.error or None,
        detail=_detail(row.detail),
        cursor=row.pk,
    )


def _detail(text: str) -> dict[str, Any]:
    found = msgspec.json.decode(text)
    return found if isinstance(found, dict) else {}
