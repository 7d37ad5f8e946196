"""Prompt-family handlers: ask the model one prompt and parse the answer (SPEC 8.3)."""

from __future__ import annotations

from typing import Any

from runtime.taskengine.datatypes import DataType, prompt_of
from runtime.taskengine.handlers.base import HandlerError, Outcome, TaskContext
from runtime.taskengine.transitions import parse_number

_RANGE_PARTS = 2


async def _ask(ctx: TaskContext, value: Any, data_type: DataType) -> tuple[str, str]:
    """The prompt and the model's answer."""
    prompt = prompt_of(value, data_type, ctx.task.handler)
    try:
        answer = await ctx.llm.prompt(ctx.prompt_call(prompt))
    except Exception as exc:
        raise HandlerError(f"prompt execution failed: {exc}") from exc
    return prompt, answer


async def raw_string(ctx: TaskContext, value: Any, data_type: DataType) -> Outcome:
    if not prompt_of(value, data_type, ctx.task.handler):
        raise HandlerError("unprocessable empty prompt")
    _, answer = await _ask(ctx, value, data_type)
    text = answer.strip()
    return Outcome(text, DataType.STRING, text)


async def condition_key(ctx: TaskContext, value: Any, data_type: DataType) -> Outcome:
    try:
        prompt, answer = await _ask(ctx, value, data_type)
    except HandlerError as exc:
        raise HandlerError(f"condition: {exc}") from exc
    key = answer.strip()
    if key not in ctx.task.valid_conditions:
        raise HandlerError(
            f"failed to parse into valid condition output was: {key} prompt was: {prompt}"
        )
    result = ctx.task.valid_conditions[key]
    return Outcome(result, DataType.BOOL, "true" if result else "false")


async def parse_number_handler(ctx: TaskContext, value: Any, data_type: DataType) -> Outcome:
    try:
        prompt, answer = await _ask(ctx, value, data_type)
    except HandlerError as exc:
        raise HandlerError(f"number: {exc}") from exc
    try:
        number = parse_number(answer)
    except ValueError as exc:
        raise HandlerError(f"invalid number format: prompt {prompt} answer {answer} {exc}") from exc
    if not number.is_integer():
        raise HandlerError(f"parsed number is not an integer: {number:g}")
    return Outcome(int(number), DataType.INT, str(int(number)))


async def parse_score(ctx: TaskContext, value: Any, data_type: DataType) -> Outcome:
    try:
        prompt, answer = await _ask(ctx, value, data_type)
    except HandlerError as exc:
        raise HandlerError(f"score: {exc}") from exc
    try:
        score = parse_number(answer)
    except ValueError as exc:
        raise HandlerError(f"invalid score format: prompt {prompt} answer {answer} {exc}") from exc
    return Outcome(score, DataType.FLOAT, f"{score:.2f}")


async def parse_range(ctx: TaskContext, value: Any, data_type: DataType) -> Outcome:
    try:
        _, answer = await _ask(ctx, value, data_type)
    except HandlerError as exc:
        raise HandlerError(f"rang: {exc}") from exc
    cleaned = answer.strip().replace('"', "").replace("'", "").replace(" ", "")
    parts = cleaned.split("-") if "-" in cleaned else [cleaned, cleaned]
    if len(parts) != _RANGE_PARTS:
        raise HandlerError(f"invalid range format: {answer}")
    for part in parts:
        try:
            parse_number(part)
        except ValueError as exc:
            raise HandlerError(f"invalid range value {part!r} in {answer!r}: {exc}") from exc
    text = f"{parts[0]}-{parts[1]}"
    return Outcome(text, DataType.STRING, text)


async def embedding(ctx: TaskContext, value: Any, data_type: DataType) -> Outcome:
    if len(ctx.config.model_names()) > 1:
        raise HandlerError("multiple models specified")
    if len(ctx.config.provider_names()) > 1:
        raise HandlerError("multiple providers specified")
    text = prompt_of(value, data_type, ctx.task.handler)
    try:
        vector = await ctx.llm.embed(ctx.embed_call(text))
    except Exception as exc:
        raise HandlerError(f"embedding failed: {exc}") from exc
    return Outcome(list(vector), DataType.VECTOR, "ok")


async def raise_error(ctx: TaskContext, value: Any, data_type: DataType) -> Outcome:
    raise HandlerError(prompt_of(value, data_type, ctx.task.handler))
