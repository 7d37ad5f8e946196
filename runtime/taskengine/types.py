"""Results of a chain run: the captured trace (SPEC 8.9), `RunResult` and the run errors."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

import msgspec

from runtime import errors
from runtime.taskengine.datatypes import DataType


class StepError(msgspec.Struct):
    """`{"error": "<message or empty>"}` of a trace entry."""

    error: str = ""


class CapturedStateUnit(msgspec.Struct):
    """One attempt of one task; `input`/`output` are filled only for `debug` chains."""

    task_id: str = msgspec.field(name="taskID")
    task_handler: str = msgspec.field(name="taskHandler")
    input_type: str = msgspec.field(name="inputType")
    output_type: str = msgspec.field(name="outputType")
    transition: str
    duration: float  # milliseconds
    error: StepError
    input: str = ""
    output: str = ""
    input_var: str = msgspec.field(default="", name="inputVar")


class RunResult(msgspec.Struct):
    """The chain output, its type and the trace of every attempt."""

    output: Any
    output_type: DataType
    state: list[CapturedStateUnit]


def domain_cause(exc: BaseException | None) -> errors.Error | None:
    """The domain error behind `exc` (a handler's own error wraps the one it met), if any."""
    while exc is not None and not isinstance(exc, errors.Error):
        exc = exc.__cause__
    return exc


_ADOPTED = (
    errors.ModelNotFoundError,
    errors.UnavailableError,
    errors.UpstreamError,
    errors.LimitExceededError,
)


class ChainError(errors.Error):
    """The chain failed at run time; `state` holds the trace up to the failure."""

    status = 500

    def __init__(
        self,
        message: str,
        *,
        task_id: str = "",
        state: list[CapturedStateUnit] | None = None,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message)
        self.task_id = task_id
        self.state = state or []
        cause = domain_cause(cause)
        # no such model (or one outside the caller's groups), no backend, a failing backend, a
        # limit: answered as the gateway answers them, with the same status and code
        if isinstance(cause, _ADOPTED):
            self.status, self.retryable, self.param = cause.status, cause.retryable, cause.param
            self.code, self.kind = cause.code, cause.kind


class StepLimitError(ChainError):
    """The chain ran more steps than the executor allows (a cycle, usually)."""


class StepWatch(Protocol):
    """What a run tells its observer: the chain and its live state, and each step."""

    def run_started(self, chain_id: str, state: list[CapturedStateUnit]) -> None: ...

    def step(self, handler: str, task_id: str) -> AbstractContextManager[Any]: ...

    def step_ended(self, handler: str, *, ok: bool) -> None: ...
