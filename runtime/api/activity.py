"""/activity/*: what requests and background operations did, and what needs a person."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from runtime import errors
from runtime.activity import Activity
from runtime.activity.system import SystemProbe
from runtime.activity.types import (
    AlertList,
    InFlightList,
    OperationPage,
    RequestOut,
    RequestPage,
    RequestState,
)
from runtime.api.base import page_request
from runtime.observability.record import current


class ActivityController(Controller):
    """Read-only views of the activity records (this replica's and, on PostgreSQL, all)."""

    path = "/activity"

    @get("/requests")
    async def requests(  # noqa: PLR0913, PLR0917 - one parameter per filter of the route
        self,
        activity: NamedDependency[Activity],
        status: FromQuery[str | None] = None,
        route: FromQuery[str | None] = None,
        model: FromQuery[str | None] = None,
        backend: FromQuery[str | None] = None,
        limit: FromQuery[str | None] = None,
        before: FromQuery[str | None] = None,
    ) -> RequestPage:
        return await activity.requests(
            limit=page_request(limit, None).limit,
            before=_cursor(before),
            status=_status(status),
            route=route,
            model=model,
            backend=backend,
        )

    @get("/requests/{request_id:str}")
    async def request(
        self, activity: NamedDependency[Activity], request_id: FromPath[str]
    ) -> RequestOut:
        return await activity.request(request_id)

    @get("/requests/{request_id:str}/state")
    async def state(
        self, activity: NamedDependency[Activity], request_id: FromPath[str]
    ) -> RequestState:
        return await activity.state(request_id)

    @get("/operations")
    async def operations(
        self,
        activity: NamedDependency[Activity],
        op: FromQuery[str | None] = None,
        outcome: FromQuery[str | None] = None,
        limit: FromQuery[str | None] = None,
        before: FromQuery[str | None] = None,
    ) -> OperationPage:
        return await activity.operation_page(
            limit=page_request(limit, None).limit, before=_cursor(before), op=op, outcome=outcome
        )

    @get("/operations/{op:str}/{subject:str}")
    async def by_subject(
        self,
        activity: NamedDependency[Activity],
        op: FromPath[str],
        subject: FromPath[str],
        limit: FromQuery[str | None] = None,
        before: FromQuery[str | None] = None,
    ) -> OperationPage:
        return await activity.operation_page(
            limit=page_request(limit, None).limit, before=_cursor(before), op=op, subject=subject
        )

    @get("/alerts")
    async def alerts(
        self, activity: NamedDependency[Activity], system: NamedDependency[SystemProbe]
    ) -> AlertList:
        return AlertList(alerts=await activity.alerts(await system.depths()))

    @get("/stateful-requests")
    async def stateful(self, activity: NamedDependency[Activity]) -> InFlightList:
        return InFlightList(requests=activity.running(besides=current.get()))


def _cursor(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 18:  # noqa: PLR2004 - fits a BIGINT
        raise errors.BadRequestError("before must be a cursor from an earlier page", param="before")
    return int(raw)


def _status(raw: str | None) -> tuple[int, int] | None:
    """A status code (`404`) or class (`5xx`) as an inclusive range."""
    if raw is None or raw == "":
        return None
    text = raw.strip().lower()
    if len(text) == 3 and text[0] in "12345" and text[1:] == "xx":  # noqa: PLR2004
        low = int(text[0]) * 100
        return low, low + 99
    if len(text) == 3 and text.isdigit() and 100 <= int(text) <= 599:  # noqa: PLR2004
        return int(text), int(text)
    raise errors.BadRequestError(
        "status must be a status code such as 404 or a class such as 5xx", param="status"
    )
