"""The `hook` handler: one remote hook operation through `Tools.run_hook` (SPEC 8.3, 12.3)."""

from __future__ import annotations

from typing import Any

from runtime.taskengine.datatypes import DataType
from runtime.taskengine.handlers.base import HandlerError, Outcome, TaskContext
from runtime.taskengine.templates import render


async def hook(ctx: TaskContext, value: Any, data_type: DataType) -> Outcome:
    """Output: the hook result (typed), or `output_template` rendered over it (also the eval)."""
    call = ctx.task.hook
    if call is None:
        raise HandlerError("hook task missing hook definition")
    result = await ctx.tools.run_hook(call, value)
    if ctx.task.output_template:
        text = render(ctx.task.output_template, result.value)
        return Outcome(text, DataType.STRING, text)
    result_type = DataType(result.data_type) if result.value is not None else DataType.ANY
    return Outcome(result.value, result_type, "ok")
