"""Static checks of a chain, run when it is stored and before it runs (SPEC 0 item 9, 3.7, 3.8).

Raises `runtime.errors.BadRequestError` whose message names the task and the field. Pure.
"""

from __future__ import annotations

from runtime import errors
from runtime.taskengine.schema import (
    END,
    ChainDefinition,
    HandlerKind,
    Operator,
    TaskDefinition,
    parse_duration,
)
from runtime.taskengine.templates import TemplateError, compile_template

_HANDLERS = {h.value for h in HandlerKind}
_OPERATORS = {o.value for o in Operator}
_TEMPLATES = ("prompt_template", "print", "output_template")


def _fail(message: str, param: str) -> errors.BadRequestError:
    return errors.BadRequestError(message, param=param)


def validate_chain(chain: ChainDefinition) -> None:
    """Reject chains that cannot run: ids, handlers, operators, targets, templates, timeouts."""
    if not chain.tasks:
        raise _fail("chain has no tasks", "tasks")
    seen: set[str] = set()
    for index, task in enumerate(chain.tasks):
        where = f"tasks[{index}]"
        if not task.id:
            raise _fail("task ID cannot be empty", f"{where}.id")
        if task.id == END:
            raise _fail("task ID cannot be 'end'", f"{where}.id")
        if task.id in seen:
            raise _fail(f"task {task.id}: duplicate task ID", f"{where}.id")
        seen.add(task.id)
    for index, task in enumerate(chain.tasks):
        _validate_task(task, f"tasks[{index}]", seen)


def _validate_task(task: TaskDefinition, where: str, ids: set[str]) -> None:
    if task.handler not in _HANDLERS:
        handler = task.handler or "(empty)"
        raise _fail(f"task {task.id}: unknown handler {handler!r}", f"{where}.handler")
    if task.handler == HandlerKind.HOOK and task.hook is None:
        raise _fail(f"task {task.id}: hook task missing hook definition", f"{where}.hook")
    _validate_transition(task, where, ids)
    _validate_fields(task, where)


def _validate_transition(task: TaskDefinition, where: str, ids: set[str]) -> None:
    targets = [("transition.on_failure", task.transition.on_failure)]
    for number, branch in enumerate(task.transition.branches):
        field = f"transition.branches[{number}]"
        if branch.operator not in _OPERATORS:
            raise _fail(
                f"task {task.id}: unsupported operator: {branch.operator!r}",
                f"{where}.{field}.operator",
            )
        targets.append((f"{field}.goto", branch.goto))
    for field, target in targets:
        if target and target != END and target not in ids:
            raise _fail(
                f"task {task.id}: {field} target {target!r} does not exist", f"{where}.{field}"
            )


def _validate_fields(task: TaskDefinition, where: str) -> None:
    for field in _TEMPLATES:
        try:
            compile_template(getattr(task, field))
        except TemplateError as exc:
            raise _fail(f"task {task.id}: invalid {field}: {exc}", f"{where}.{field}") from exc
    if task.timeout:
        try:
            parse_duration(task.timeout)
        except ValueError as exc:
            raise _fail(f"task {task.id}: invalid timeout: {exc}", f"{where}.timeout") from exc
    if task.compose and task.compose.with_var == "":
        raise _fail(f"task {task.id}: compose needs with_var", f"{where}.compose.with_var")
