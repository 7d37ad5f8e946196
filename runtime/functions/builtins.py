"""The host functions a script may call (`sendEvent`, `executeTask`, chain runners).

Each call is bounded in time and never throws into the script: a failure comes back as
`{"success": false, "error": "..."}`.

Events sent by a delivery's run have ids derived from the delivery and the call's position, so
a retried run (after a failure, or a crash before its run was recorded) does not send them
twice: the repeat finds the event stored and answers with it.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from runtime import errors
from runtime.eventstore import Event, EventService, NewEvent

CALL_TIMEOUT = 30.0
SOURCE = "function_execution"


class Prompter(Protocol):
    """Runs one prompt against a task model (what `POST /execute` does)."""

    async def prompt(self, prompt: str, *, model: str = "", provider: str = "") -> str: ...


class ChainRunner(Protocol):
    """Runs a stored task chain with a JSON input; returns (output, captured state)."""

    async def run_stored(self, chain_id: str, input: Any) -> tuple[Any, list[Any]]: ...


def _text(args: list[Any], index: int) -> str:
    value = args[index] if len(args) > index else None
    if not isinstance(value, str):
        raise errors.InvalidInputError(f"argument {index + 1} must be a string")
    return value


class Builtins:
    """Host side of the script builtins; `bound(...)` gives one run's host call."""

    def __init__(
        self,
        events: EventService,
        prompter: Prompter,
        chains: ChainRunner | None = None,
        *,
        timeout: float = CALL_TIMEOUT,
    ) -> None:
        self._events = events
        self._prompter = prompter
        self._chains = chains
        self._timeout = timeout

    def bound(
        self, *, depth: int, delivery: str = ""
    ) -> Callable[[str, list[Any]], Awaitable[Any]]:
        """The host call of one run; `delivery` names the (trigger, event) it runs for."""
        sent = itertools.count()

        async def call(name: str, args: list[Any]) -> Any:
            event_id = ""
            if name == "sendEvent" and delivery:
                event_id = f"func-gen-{delivery}-{next(sent)}"
            return await self.call(name, args, depth=depth, event_id=event_id)

        return call

    async def call(self, name: str, args: list[Any], *, depth: int, event_id: str = "") -> Any:
        """Run a builtin; `event_id` is the id of the event `sendEvent` appends (else a new one)."""
        try:
            work = self._dispatch(name, args, depth, event_id)
            return await asyncio.wait_for(work, self._timeout)
        except TimeoutError:
            return {"success": False, "error": "operation timed out"}
        except errors.Error as exc:
            return {"success": False, "error": exc.message}

    async def _dispatch(self, name: str, args: list[Any], depth: int, event_id: str) -> Any:
        if name == "sendEvent":
            return await self._send_event(args, depth, event_id)
        if name == "executeTask":
            return await self._execute_task(args)
        if name in ("callTaskChain", "executeTaskChain") and self._chains is not None:
            return await self._chain(name, args)
        raise errors.InvalidInputError(f"{name} is not available")

    async def _send_event(self, args: list[Any], depth: int, event_id: str) -> dict[str, Any]:
        event_type = _text(args, 0)
        data = args[1] if len(args) > 1 else {}
        if not isinstance(data, dict):
            raise errors.InvalidInputError("sendEvent data must be an object")
        if not event_id:
            event_id = f"func-gen-{time.time_ns()}"
        try:
            stored = await self._append(event_type, data, depth, event_id)
        except errors.ConflictError:  # an earlier attempt of this delivery sent it
            return {"success": True, "event_id": event_id}
        return {"success": True, "event_id": stored.id}

    async def _append(
        self, event_type: str, data: dict[str, Any], depth: int, event_id: str
    ) -> Event:
        return await self._events.append(
            NewEvent(
                id=event_id,
                event_type=event_type,
                event_source=SOURCE,
                aggregate_id="function",
                aggregate_type="function",
                version=1,
                data=data,
                metadata={"source": SOURCE},
            ),
            depth=depth + 1,
        )

    async def _execute_task(self, args: list[Any]) -> dict[str, Any]:
        prompt = _text(args, 0)
        model = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
        provider = args[2] if len(args) > 2 and isinstance(args[2], str) else ""  # noqa: PLR2004
        response = await self._prompter.prompt(prompt, model=model, provider=provider)
        return {"success": True, "task_id": str(uuid.uuid4()), "response": response}

    async def _chain(self, name: str, args: list[Any]) -> dict[str, Any]:
        assert self._chains is not None  # noqa: S101 - checked by the caller
        chain_id = _text(args, 0)
        chain_input = args[1] if len(args) > 1 else None
        output, state = await self._chains.run_stored(chain_id, chain_input)
        reply: dict[str, Any] = {"success": True, "chain_id": chain_id, "result": output}
        if name == "executeTaskChain":
            reply["history"] = state
        return reply
