"""/functions, /event-triggers and /executor/sync: user scripts and what runs them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from runtime.api.base import (
    ApiStruct,
    Description,
    Kind,
    Name,
    Script,
    literal,
    page_request,
)
from runtime.functions import Function, FunctionService, Run, Trigger


class FunctionBody(ApiStruct):
    """A function as the API reference spells it; timestamps are ignored on input."""

    name: Name = ""
    description: Description = ""
    script_type: Kind = ""
    script: Script = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def to_domain(self, name: str | None = None) -> Function:
        return Function(
            name=self.name if name is None else name,
            description=self.description,
            script_type=self.script_type,
            script=self.script,
        )

    @classmethod
    def from_domain(cls, fn: Function) -> FunctionBody:
        return cls(
            name=fn.name,
            description=fn.description,
            script_type=fn.script_type,
            script=fn.script,
            created_at=fn.created_at,
            updated_at=fn.updated_at,
        )


class ListenFor(ApiStruct):
    """The event type a trigger listens for."""

    type: Name = ""


class TriggerBody(ApiStruct):
    """An event trigger: run `function` for events of type `listenFor.type`."""

    name: Name = ""
    description: Description = ""
    listen_for: ListenFor | None = None
    type: Kind = ""
    function: Name = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def to_domain(self, name: str | None = None) -> Trigger:
        return Trigger(
            name=self.name if name is None else name,
            description=self.description,
            listen_for=self.listen_for.type if self.listen_for else "",
            type=self.type,
            function=self.function,
        )

    @classmethod
    def from_domain(cls, trigger: Trigger) -> TriggerBody:
        return cls(
            name=trigger.name,
            description=trigger.description,
            listen_for=ListenFor(type=trigger.listen_for),
            type=trigger.type,
            function=trigger.function,
            created_at=trigger.created_at,
            updated_at=trigger.updated_at,
        )


class RunOut(ApiStruct):
    """One recorded execution of a function."""

    id: str
    function: str
    trigger: str
    event_id: str
    event_type: str
    attempt: int
    status: str
    started_at: datetime
    duration_ms: float
    error: str
    logs: list[str]
    result: Any

    @classmethod
    def from_domain(cls, run: Run) -> RunOut:
        return cls(
            id=run.id,
            function=run.function_name,
            trigger=run.trigger_name,
            event_id=run.event_id,
            event_type=run.event_type,
            attempt=run.attempt,
            status=run.status.value,
            started_at=run.started_at,
            duration_ms=run.duration_ms,
            error=run.error,
            logs=run.logs,
            result=run.result,
        )


def _triggers(found: list[Trigger]) -> list[TriggerBody]:
    return [TriggerBody.from_domain(trigger) for trigger in found]


class FunctionController(Controller):
    """Functions and their run records."""

    path = "/functions"

    @post()
    async def create_function(
        self, data: JSONBody[FunctionBody], functions: NamedDependency[FunctionService]
    ) -> FunctionBody:
        return FunctionBody.from_domain(await functions.create_function(data.to_domain()))

    @get()
    async def list_functions(
        self,
        functions: NamedDependency[FunctionService],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> list[FunctionBody]:
        found = await functions.list_functions(page_request(limit, cursor))
        return [FunctionBody.from_domain(fn) for fn in found]

    @get("/{name:str}")
    async def get_function(
        self, name: FromPath[str], functions: NamedDependency[FunctionService]
    ) -> FunctionBody:
        return FunctionBody.from_domain(await functions.get_function(name))

    @put("/{name:str}")
    async def update_function(
        self,
        name: FromPath[str],
        data: JSONBody[FunctionBody],
        functions: NamedDependency[FunctionService],
    ) -> FunctionBody:
        return FunctionBody.from_domain(await functions.update_function(data.to_domain(name)))

    @delete("/{name:str}", status_code=200)
    async def delete_function(
        self, name: FromPath[str], functions: NamedDependency[FunctionService]
    ) -> Response[bytes]:
        await functions.delete_function(name)
        return literal("function removed")

    @get("/{name:str}/runs")
    async def list_runs(
        self,
        name: FromPath[str],
        functions: NamedDependency[FunctionService],
        limit: FromQuery[str | None] = None,
    ) -> list[RunOut]:
        page = page_request(limit, None)
        return [RunOut.from_domain(run) for run in await functions.runs(name, page.limit)]


class TriggerController(Controller):
    """Event triggers."""

    path = "/event-triggers"

    @post()
    async def create_trigger(
        self, data: JSONBody[TriggerBody], functions: NamedDependency[FunctionService]
    ) -> TriggerBody:
        return TriggerBody.from_domain(await functions.create_trigger(data.to_domain()))

    @get()
    async def list_triggers(
        self,
        functions: NamedDependency[FunctionService],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> list[TriggerBody]:
        return _triggers(await functions.list_triggers(page_request(limit, cursor)))

    @get("/{name:str}")
    async def get_trigger(
        self, name: FromPath[str], functions: NamedDependency[FunctionService]
    ) -> TriggerBody:
        return TriggerBody.from_domain(await functions.get_trigger(name))

    @put("/{name:str}")
    async def update_trigger(
        self,
        name: FromPath[str],
        data: JSONBody[TriggerBody],
        functions: NamedDependency[FunctionService],
    ) -> TriggerBody:
        return TriggerBody.from_domain(await functions.update_trigger(data.to_domain(name)))

    @delete("/{name:str}", status_code=200)
    async def delete_trigger(
        self, name: FromPath[str], functions: NamedDependency[FunctionService]
    ) -> Response[bytes]:
        await functions.delete_trigger(name)
        return literal("event trigger removed")

    @get("/event-type/{event_type:str}")
    async def list_triggers_for_event_type(
        self,
        event_type: FromPath[str],
        functions: NamedDependency[FunctionService],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> list[TriggerBody]:
        page = page_request(limit, cursor)
        return _triggers(await functions.list_triggers(page, event_type=event_type))

    @get("/function/{function:str}")
    async def list_triggers_for_function(
        self,
        function: FromPath[str],
        functions: NamedDependency[FunctionService],
        limit: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> list[TriggerBody]:
        page = page_request(limit, cursor)
        return _triggers(await functions.list_triggers(page, function=function))


class ExecutorController(Controller):
    """The reference's cache refresh; definitions are read from the database on every use."""

    @post("/executor/sync", status_code=200)
    async def sync_executor(self, functions: NamedDependency[FunctionService]) -> Response[bytes]:
        functions.wake()
        return literal("sync triggered")
