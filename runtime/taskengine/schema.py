"""The task-chain definition as stored and echoed by the API (SPEC 8.1), and its codec.

Decoded through `runtime.decoding` (keys case-insensitive, unknown keys ignored, as Go
clients expect). Keys the reference marks optional are omitted from output when empty. Pure.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

import msgspec

from runtime import decoding, errors


class HandlerKind(StrEnum):
    """Every task handler of SPEC 8.3."""

    RAW_STRING = "raw_string"
    CONDITION_KEY = "condition_key"
    PARSE_NUMBER = "parse_number"
    PARSE_SCORE = "parse_score"
    PARSE_RANGE = "parse_range"
    PARSE_TRANSITION = "parse_transition"
    PARSE_KEY_VALUE = "parse_key_value"
    EMBEDDING = "embedding"
    RAISE_ERROR = "raise_error"
    MODEL_EXECUTION = "model_execution"
    EXECUTE_TOOL_CALLS = "execute_tool_calls"
    CONVERT_TO_OPENAI_CHAT_RESPONSE = "convert_to_openai_chat_response"
    HOOK = "hook"
    NOOP = "noop"
    SEARCH_KNOWLEDGE = "search_knowledge"


class Operator(StrEnum):
    """Branch operators of SPEC 8.6 (`gt`/`lt` are aliases of `>`/`<`)."""

    EQUALS = "equals"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    GREATER = ">"
    GT = "gt"
    LESS = "<"
    LT = "lt"
    IN_RANGE = "in_range"
    DEFAULT = "default"


END = "end"


class _Schema(msgspec.Struct, omit_defaults=True):
    """Base of the chain schema: compact on output."""


class LLMExecutionConfig(_Schema):
    """Which models/providers a task uses and which tools it offers (`execute_config`)."""

    model: str = ""
    models: list[str] = msgspec.field(default_factory=list)
    provider: str = ""
    providers: list[str] = msgspec.field(default_factory=list)
    temperature: float | None = None
    hooks: list[str] = msgspec.field(default_factory=list)
    hide_tools: list[str] = msgspec.field(default_factory=list)
    pass_clients_tools: bool = False

    def model_names(self) -> list[str]:
        """`[model] + models` without empty entries (SPEC 8.3)."""
        return [m for m in [self.model, *self.models] if m]

    def provider_names(self) -> list[str]:
        """`[provider] + providers` without empty entries."""
        return [p for p in [self.provider, *self.providers] if p]


class HookCall(_Schema):
    """The remote hook operation a `hook` task calls, with its string arguments."""

    name: str
    tool_name: str = ""
    args: dict[str, str] = msgspec.field(default_factory=dict)


class Compose(_Schema):
    """Combine the task output with a variable after success (SPEC 8.7)."""

    with_var: str = ""
    strategy: str = ""


class Branch(_Schema):
    """`goto` when `operator(eval, when)` holds; `""`/`end` finishes the chain."""

    when: str = ""
    goto: str = ""
    operator: str = ""


class Transition(_Schema):
    """Where to go next: `on_failure` after all attempts failed, else the first matching branch."""

    on_failure: str = ""
    branches: list[Branch] = msgspec.field(default_factory=list)


class KnowledgeSearch(_Schema):
    """What a `search_knowledge` task retrieves (ours): how many chunks, from where, how."""

    topk: int = 5
    path: str = ""
    mode: str = "hybrid"
    filters: list[str] = msgspec.field(default_factory=list)  # `key:value` on file metadata


class TaskDefinition(_Schema):
    """One task of a chain (SPEC 8.1)."""

    id: str
    handler: str
    description: str = ""
    system_instruction: str = ""
    valid_conditions: dict[str, bool] = msgspec.field(default_factory=dict)
    execute_config: LLMExecutionConfig | None = None
    hook: HookCall | None = None
    print: str = ""
    prompt_template: str = ""
    output_template: str = ""
    input_var: str = ""
    compose: Compose | None = None
    search: KnowledgeSearch | None = None
    transition: Transition = msgspec.field(default_factory=Transition)
    timeout: str = ""
    retry_on_failure: int = 0


class ChainDefinition(_Schema):
    """A task chain; `tasks[0]` is the entry task, `token_limit` 0 means unlimited."""

    id: Annotated[str, msgspec.Meta(max_length=255)] = ""  # the column's size
    description: str = ""
    debug: bool = False
    tasks: list[TaskDefinition] = msgspec.field(default_factory=list)
    token_limit: int = 0

    def task(self, task_id: str) -> TaskDefinition | None:
        """The first task with this id (ids are unique once validated)."""
        return next((t for t in self.tasks if t.id == task_id), None)


def decode_chain(data: bytes | str | dict[str, Any]) -> ChainDefinition:
    """Decode a chain from JSON text or decoded JSON; raises `BadRequestError` naming the field."""
    chains = decoding.decoder(ChainDefinition)
    try:
        if isinstance(data, dict):
            return chains.convert(data)
        return chains.decode(data.encode() if isinstance(data, str) else data)
    except errors.BadRequestError as exc:  # not JSON, too deep, NUL
        raise errors.BadRequestError(f"invalid task chain: {exc.message}") from exc
    except errors.InvalidInputError as exc:
        raise errors.BadRequestError(
            f"invalid task chain: {_describe(exc, data)}", param=exc.param
        ) from exc


def encode_chain(chain: ChainDefinition) -> bytes:
    """JSON text of a chain, as the API echoes it."""
    return msgspec.json.encode(chain)


def chain_to_builtins(chain: ChainDefinition) -> dict[str, Any]:
    """The chain as plain JSON values."""
    result: dict[str, Any] = msgspec.to_builtins(chain)
    return result


def _describe(exc: errors.InvalidInputError, data: bytes | str | dict[str, Any]) -> str:
    """The msgspec message, prefixed by the task id when the error is inside `tasks[i]`."""
    path = exc.param or ""
    if not path.startswith("tasks["):
        return exc.message
    index = int(path[len("tasks[") : path.index("]")])
    try:
        raw = data if isinstance(data, dict) else msgspec.json.decode(data)
        task_id = raw["tasks"][index].get("id", "")
    except (msgspec.DecodeError, LookupError, TypeError, AttributeError):
        return exc.message
    return f"task {task_id!r}: {exc.message}"


_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Seconds of a Go duration (`"300ms"`, `"1h30m"`); raises `ValueError` on bad syntax."""
    body = text[1:] if text[:1] in "+-" else text
    if body == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(body):
        match = _DURATION.match(body, pos)
        if match is None:
            raise ValueError(f'time: invalid duration "{text}"')
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    if not body:
        raise ValueError(f'time: invalid duration "{text}"')
    return -total if text.startswith("-") else total
