"""FunctionService: functions and event triggers (validated, compile-checked) and run records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from runtime import errors
from runtime.db import Database
from runtime.functions import jobs, store
from runtime.functions.types import SCRIPT_TYPES, TRIGGER_TYPE, Function, Run, Trigger
from runtime.paging import PageRequest
from runtime.sandbox import Sandbox

MAX_DEFINITIONS = 1000


def _invalid(kind: str, message: str, param: str) -> errors.InvalidInputError:
    return errors.InvalidInputError(f"invalid {kind} data: {message}", param=param)


def validate_function(fn: Function) -> None:
    if not fn.name.strip():
        raise _invalid("function", "name is required", "name")
    if fn.script_type not in SCRIPT_TYPES:
        raise _invalid("function", "scriptType must be 'goja' or 'javascript'", "scriptType")
    if not fn.script.strip():
        raise _invalid("function", "script is required", "script")


def validate_trigger(trigger: Trigger) -> None:
    if not trigger.name.strip():
        raise _invalid("event trigger", "name is required", "name")
    if not trigger.listen_for.strip():
        raise _invalid("event trigger", "listenFor.type is required", "listenFor.type")
    if trigger.type != TRIGGER_TYPE:
        raise _invalid("event trigger", f"type must be '{TRIGGER_TYPE}'", "type")
    if not trigger.function.strip():
        raise _invalid("event trigger", "function is required", "function")


class FunctionService:
    """Definitions as the API manages them; scripts are compiled before they are stored."""

    def __init__(
        self,
        db: Database,
        sandbox: Sandbox,
        *,
        max_rows: int = MAX_DEFINITIONS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self._db = db
        self.sandbox = sandbox  # also read by the system probe
        self._max_rows = max_rows
        self._clock = clock
        self._wake = wake

    def wake(self) -> None:
        """Have the dispatch workers look for due deliveries now."""
        self._wake()

    async def close(self) -> None:
        await self.sandbox.close()

    async def _compile(self, fn: Function) -> None:
        validate_function(fn)
        problem = await self.sandbox.check(fn.script)
        if problem:
            raise _invalid("function", f"script does not compile: {problem}", "script")

    async def create_function(self, fn: Function) -> Function:
        await self._compile(fn)
        async with self._db.transaction() as session:
            if await store.count_functions(session) >= self._max_rows:
                raise errors.InvalidInputError(f"too many functions (max {self._max_rows})")
            return await store.create_function(session, fn, self._clock())

    async def get_function(self, name: str) -> Function:
        async with self._db.transaction() as session:
            return await store.get_function(session, name)

    async def list_functions(self, page: PageRequest) -> list[Function]:
        async with self._db.transaction() as session:
            return await store.list_functions(session, page)

    async def update_function(self, fn: Function) -> Function:
        await self._compile(fn)
        async with self._db.transaction() as session:
            updated = await store.update_function(session, fn, self._clock())
        if updated is None:
            raise errors.InvalidInputError(f"function {fn.name!r} not found", param="name")
        return updated

    async def delete_function(self, name: str) -> None:
        async with self._db.transaction() as session:
            await store.delete_function(session, name)

    async def runs(self, name: str, limit: int) -> list[Run]:
        async with self._db.transaction() as session:
            await store.get_function(session, name)
            return await jobs.list_runs(session, name, limit)

    async def create_trigger(self, trigger: Trigger) -> Trigger:
        validate_trigger(trigger)
        async with self._db.transaction() as session:
            if await store.count_triggers(session) >= self._max_rows:
                raise errors.InvalidInputError(f"too many event triggers (max {self._max_rows})")
            return await store.create_trigger(session, trigger, self._clock())

    async def get_trigger(self, name: str) -> Trigger:
        async with self._db.transaction() as session:
            return await store.get_trigger(session, name)

    async def list_triggers(
        self, page: PageRequest, *, event_type: str | None = None, function: str | None = None
    ) -> list[Trigger]:
        async with self._db.transaction() as session:
            return await store.list_triggers(
                session, page, event_type=event_type, function=function
            )

    async def update_trigger(self, trigger: Trigger) -> Trigger:
        validate_trigger(trigger)
        async with self._db.transaction() as session:
            updated = await store.update_trigger(session, trigger, self._clock())
        if updated is None:
            raise errors.InvalidInputError(
                f"event trigger {trigger.name!r} not found", param="name"
            )
        return updated

    async def delete_trigger(self, name: str) -> None:
        async with self._db.transaction() as session:
            await store.delete_trigger(session, name)

    async def pending(self) -> int:
        async with self._db.transaction() as session:
            return await jobs.pending(session)
