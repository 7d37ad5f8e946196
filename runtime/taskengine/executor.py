"""Runs a validated chain (SPEC 8.2) with a step limit, per-task timeouts and retries.

Cancellation is plain asyncio: cancelling the awaiting task stops the run (a
`CancelledError` is never swallowed). Every attempt is recorded in the trace (SPEC 8.9).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from runtime.backoff import doubling, full_jitter
from runtime.taskengine.chat import OpenAIChatRequest, ToolSpec
from runtime.taskengine.compose import ComposeError, compose
from runtime.taskengine.datatypes import DataType, convert_input, parse_data_type, to_json_text
from runtime.taskengine.gofmt import go_value
from runtime.taskengine.handlers import HANDLERS, Handler, Outcome, TaskContext
from runtime.taskengine.handlers.base import DeltaSink
from runtime.taskengine.ports import Knowledge, Llm, Tools
from runtime.taskengine.schema import (
    END,
    ChainDefinition,
    HandlerKind,
    TaskDefinition,
    parse_duration,
)
from runtime.taskengine.streaming import streamable_tasks
from runtime.taskengine.templates import TemplateError, render
from runtime.taskengine.transitions import TransitionError, next_task_id
from runtime.taskengine.types import (
    CapturedStateUnit,
    ChainError,
    RunResult,
    StepError,
    StepLimitError,
    StepWatch,
    domain_cause,
)
from runtime.taskengine.validate import validate_chain

DEFAULT_MAX_STEPS = 64
log = logging.getLogger("runtime.taskengine")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _log_print(text: str) -> None:
    log.info("%s", text)


class Executor:
    """Runs chains against the ports; one instance serves many concurrent runs."""

    def __init__(
        self,
        llm: Llm,
        tools: Tools,
        *,
        max_steps: int = DEFAULT_MAX_STEPS,
        on_print: Callable[[str], None] = _log_print,
        watch: StepWatch | None = None,
        knowledge: Knowledge | None = None,
    ) -> None:
        self.watch = watch
        self.llm = llm
        self.tools = tools
        self.knowledge = knowledge
        self.max_steps = max_steps
        self.clock: Callable[[], datetime] = _utc_now
        self.on_print = on_print

    async def run(
        self,
        chain: ChainDefinition,
        value: Any,
        input_type: str | DataType,
        *,
        on_delta: DeltaSink | None = None,
    ) -> RunResult:
        """Validate, convert `value` by `input_type` (SPEC 3.8) and run the chain.

        Raises `BadRequestError` for invalid chains/input types and `ChainError` when a task
        fails; with `on_delta`, terminal `model_execution` steps stream their content to it.
        """
        validate_chain(chain)
        data_type = parse_data_type(input_type)
        converted = convert_input(value, data_type)
        return await _Run(self, chain, converted, data_type, on_delta).execute()


class _Run:
    """The state of one chain execution."""

    def __init__(
        self,
        executor: Executor,
        chain: ChainDefinition,
        value: Any,
        data_type: DataType,
        on_delta: DeltaSink | None,
    ) -> None:
        self.executor = executor
        self.chain = chain
        self.input_type = data_type
        self.on_delta = on_delta
        self.streamed = streamable_tasks(chain) if on_delta else frozenset()
        self.variables: dict[str, tuple[Any, DataType]] = {"input": (value, data_type)}
        self.output: tuple[Any, DataType] = (value, data_type)
        self.state: list[CapturedStateUnit] = []
        self.client_tools: list[ToolSpec] = []
        if isinstance(value, OpenAIChatRequest):
            self.client_tools = list(value.tools or [])
        self.hook_names = frozenset(
            hook
            for task in chain.tasks
            if task.execute_config
            for hook in task.execute_config.hooks
        )

    def fail(
        self, message: str, task: TaskDefinition, cause: BaseException | None = None
    ) -> ChainError:
        return ChainError(message, task_id=task.id, state=self.state, cause=cause)

    async def execute(self) -> RunResult:
        if self.executor.watch is not None:
            self.executor.watch.run_started(self.chain.id, self.state)
        task = self.chain.tasks[0]
        for _ in range(self.executor.max_steps):
            outcome, error, cause = await self._attempts(task)
            if outcome is None:
                if not task.transition.on_failure:
                    raise self.fail(
                        f"task {task.id} failed after {max(task.retry_on_failure, 0)} retries: "
                        f"{error}",
                        task,
                        cause,
                    ) from cause
                self.output = (None, DataType.ANY)
                target = task.transition.on_failure
            else:
                target = self._succeed(task, outcome)
            if target == END:
                return RunResult(
                    output=self.output[0], output_type=self.output[1], state=self.state
                )
            found = self.chain.task(target)
            if found is None:
                raise self.fail(f"next task {target} not found: task not found: {target}", task)
            task = found
        raise StepLimitError(
            f"chain {self.chain.id!r} exceeded the step limit of {self.executor.max_steps} "
            f"steps (next task {task.id})",
            task_id=task.id,
            state=self.state,
        )

    def _succeed(self, task: TaskDefinition, outcome: Outcome) -> str:
        """Record the output, print, and pick the next task id."""
        self.output = (outcome.value, outcome.data_type)
        self.variables[task.id] = self.output
        self.variables["previous_output"] = self.output
        if task.print:
            try:
                self.executor.on_print(render(task.print, self._template_data()))
            except TemplateError as exc:
                raise self.fail(f"task {task.id}: print template error: {exc}", task) from exc
        try:
            return next_task_id(task.transition, outcome.eval)
        except TransitionError as exc:
            raise self.fail(f"task {task.id}: transition error: {exc}", task) from exc

    def _template_data(self) -> dict[str, Any]:
        return {name: value for name, (value, _) in self.variables.items()}

    def _input_of(self, task: TaskDefinition) -> tuple[Any, DataType, str]:
        value, data_type = self.output
        label = task.id
        if task.input_var:
            if task.input_var not in self.variables:
                raise self.fail(
                    f'task {task.id}: input variable "{task.input_var}" not found', task
                )
            value, data_type = self.variables[task.input_var]
            label = task.input_var
        if task.prompt_template:
            try:
                value = render(task.prompt_template, self._template_data())
            except TemplateError as exc:
                raise self.fail(f"task {task.id}: template error: {exc}", task) from exc
            data_type = DataType.STRING
        return value, data_type, label

    def _context(self, task: TaskDefinition) -> TaskContext:
        return TaskContext(
            task=task,
            chain=self.chain,
            llm=self.executor.llm,
            tools=self.executor.tools,
            now=self.executor.clock,
            chain_input_type=self.input_type,
            client_tools=self.client_tools,
            hook_names=self.hook_names,
            on_delta=self.on_delta if task.id in self.streamed else None,
            knowledge=self.executor.knowledge,
        )

    async def _attempts(
        self, task: TaskDefinition
    ) -> tuple[Outcome | None, str, BaseException | None]:
        """Run the task up to `retry_on_failure + 1` times; the outcome, or the last error.

        An error that says it is not worth retrying (an invalid input) ends the attempts;
        attempts are spaced by a jittered, doubling, bounded backoff.
        """
        value, data_type, label = self._input_of(task)
        timeout = parse_duration(task.timeout) if task.timeout else None
        handler = HANDLERS[HandlerKind(task.handler)]
        error = ""
        cause: BaseException | None = None
        for attempt in range(max(task.retry_on_failure, 0) + 1):
            if attempt:
                await asyncio.sleep(retry_delay(attempt))
            started = time.perf_counter()
            outcome: Outcome | None = None
            try:
                step = self._step(task, handler, value, data_type)
                if timeout is None:  # no timer to arm (most tasks)
                    outcome = await step
                else:
                    async with asyncio.timeout(timeout):
                        outcome = await step
            except TimeoutError as exc:
                error, cause = f"task {task.id}: timed out after {task.timeout}", exc
            except Exception as exc:  # noqa: BLE001 - a failing handler is a failed attempt
                error, cause = f"task {task.id}: {exc}", exc
            self._record(task, (value, data_type, label), outcome, error, started)
            if self.executor.watch is not None:
                self.executor.watch.step_ended(task.handler, ok=outcome is not None)
            if outcome is not None:
                return self._compose(task, outcome), "", None
            found = domain_cause(cause)
            if found is not None and not found.retryable:
                break
        return None, error, cause

    async def _step(
        self, task: TaskDefinition, handler: Handler, value: Any, data_type: DataType
    ) -> Outcome:
        watch = self.executor.watch
        if watch is None:
            return await handler(self._context(task), value, data_type)
        with watch.step(task.handler, task.id):
            return await handler(self._context(task), value, data_type)

    def _compose(self, task: TaskDefinition, outcome: Outcome) -> Outcome:
        if task.compose is None:
            return outcome
        try:
            value, data_type = compose(
                task.compose,
                outcome.value,
                outcome.data_type,
                self.variables,
                self.input_type,
                self.executor.clock(),
            )
        except ComposeError as exc:
            raise self.fail(str(exc), task) from exc
        self.variables[f"{task.id}_composed"] = (value, data_type)
        return Outcome(value, data_type, outcome.eval)

    def _record(
        self,
        task: TaskDefinition,
        given: tuple[Any, DataType, str],
        outcome: Outcome | None,
        error: str,
        started: float,
    ) -> None:
        value, data_type, label = given
        debug = self.chain.debug
        self.state.append(
            CapturedStateUnit(
                task_id=task.id,
                task_handler=task.handler,
                input_type=data_type.value,
                output_type=(outcome.data_type if outcome else DataType.ANY).value,
                transition=outcome.eval if outcome else "",
                duration=(time.perf_counter() - started) * 1000,
                error=StepError("" if outcome else error),
                input=go_value(value) if debug else "",
                output=to_json_text(outcome.value) if debug and outcome else "",
                input_var=label,
            )
        )


def retry_delay(attempt: int) -> float:
    """Seconds before retry `attempt` (1, 2, ...): 0.1 s doubling up to 2 s, with full jitter."""
    return full_jitter(doubling(attempt, first=0.1, cap=2.0))
