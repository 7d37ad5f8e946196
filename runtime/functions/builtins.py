"""The host functions a script may call (`sendEvent`, `executeTask`, chain runners).

Each call is bounded in time and never throws into the script: a failure comes back as
`{"success": false, "error": "..."}`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from runtime import errors
from runtime.eventstore import EventService, NewEvent

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
    """Host side of the script builtins; `bound(depth)` gives one run's host call."""

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

    def bound(self, *, depth: int) -> Callable[[str, list[Any]], Awaitable[Any]]:
        async def call(name: str, args: list[Any]) -> Any:
            return await self.call(name, args, depth=depth)

        return call

    async def call(self, name: str, args: list[Any], *, depth: int) -> Any:
        try:
            return await asyncio.wait_for(self._dispatch(name, args, depth), self._timeout)
        except TimeoutError:
            return {"success": False, "error": "operation timed out"}
        except errors.Error as exc:
            return {"success": False, "error": exc.message}

    async def _dispatch(self, name: str, args: list[Any], depth: int) -> Any:
        if name == "sendEvent":
            return await self._send_event(args, depth)
        if name == "executeTask":
            return await self._execute_task(args)
        if name in ("callTaskChain", "executeTaskChain") and self._chains is not None:
            return await self._chain(name, args)
        raise errors.InvalidInputError(f"{name} is not available")

    async def _send_event(self, args: list[Any], depth: int) -> dict[str, Any]:
        event_type = _text(args, 0)
        data = args[1] if len(args) > 1 else {}
        if not isinstance(data, dict):
            raise errors.InvalidInputError("sendEvent data must be an object")
        stored = await self._events.append(
            NewEvent(
                id=f"func-gen-{time.time_ns()}",
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
        return {"success": True, "event_id": stored.id}

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
