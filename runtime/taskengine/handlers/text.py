"""Handlers that only look at the input text, without any model call (SPEC 8.3)."""

from __future__ import annotations

from typing import Any

from runtime.taskengine.datatypes import DataType, prompt_of
from runtime.taskengine.handlers.base import HandlerError, Outcome, TaskContext


async def noop(ctx: TaskContext, value: Any, data_type: DataType) -> Outcome:
    return Outcome(value, data_type, "noop")


async def parse_transition(ctx: TaskContext, value: Any, data_type: DataType) -> Outcome:
    """Eval: `""` for empty text, `pass` without a leading `/`, else the command word."""
    text = prompt_of(value, data_type, ctx.task.handler).strip()
    if not text:
        return Outcome(value, data_type, "")
    if not text.startswith("/"):
        return Outcome(value, data_type, "pass")
    words = text[1:].split()
    if not words:
        raise HandlerError("empty command")
    return Outcome(value, data_type, words[0])


def _scalar(text: str) -> Any:
    if text == "true":
        return True
    if text == "false":
        return False
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":  # noqa: PLR2004
        return text[1:-1]
    return text


def parse_pairs(text: str) -> dict[str, Any]:
    """`k=v` pairs split on `;`, else newlines, else `,`; `:` also separates key and value."""
    if not text.strip():
        return {}
    separator = ";" if ";" in text else "\n" if "\n" in text else ","
    result: dict[str, Any] = {}
    for pair in (p.strip() for p in text.split(separator)):
        if not pair:
            continue
        sep = "=" if "=" in pair else ":" if ":" in pair else None
        if sep is None:
            raise HandlerError(f'invalid key-value pair: "{pair}"')
        key, _, raw = pair.partition(sep)
        value = _unquote(raw)
        result[_unquote(key)] = value if raw.strip()[:1] in {'"', "'"} else _scalar(value)
    return result


async def parse_key_value(ctx: TaskContext, value: Any, data_type: DataType) -> Outcome:
    text = prompt_of(value, data_type, ctx.task.handler)
    return Outcome(parse_pairs(text), DataType.JSON, "parsed")
