"""Data types of chain values and the conversions between them (SPEC 8.4, 3.8 input table).

Values are plain Python (`str`, `bool`, `int`, `float`, `list[float]`, JSON values) or the
Structs of `runtime.taskengine.chat`. Pure.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

import msgspec

from runtime import errors
from runtime.taskengine.chat import ChatHistory, OpenAIChatRequest, OpenAIChatResponse, SearchResult
from runtime.taskengine.gofmt import go_value
from runtime.wire.openai import text_of


class DataType(StrEnum):
    """The type tag travelling with every chain value; names as emitted by the API."""

    ANY = "any"
    STRING = "string"
    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    VECTOR = "vector"
    SEARCH_RESULTS = "search_results"
    JSON = "json"
    CHAT_HISTORY = "chat_history"
    OPENAI_CHAT = "openai_chat"
    OPENAI_CHAT_RESPONSE = "openai_chat_response"
    NIL = "nil"


def parse_data_type(name: str | DataType) -> DataType:
    """Case-insensitive lookup; unknown or empty → `BadRequestError("unknown data type: <s>")`."""
    try:
        return DataType(str(name).lower())
    except ValueError:
        raise errors.BadRequestError(f"unknown data type: {name}", param="inputType") from None


def _to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        inner = value.get("value")
        return inner if isinstance(inner, str) else msgspec.json.encode(value).decode()
    return go_value(value)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    text = value if isinstance(value, str) else go_value(value)
    return text.strip().lower() in {"1", "t", "true"}


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return 0
    return 0


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        return 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return 0.0
    return 0.0


def _to_struct(value: Any, target: Any, label: str) -> Any:
    if isinstance(value, msgspec.Struct):
        value = msgspec.to_builtins(value)
    try:
        return msgspec.convert(value, target)
    except msgspec.ValidationError as exc:
        raise errors.BadRequestError(f"failed to convert to {label}: {exc}", param="input") from exc


_CONVERTERS: dict[DataType, Callable[[Any], Any]] = {
    DataType.STRING: _to_string,
    DataType.BOOL: _to_bool,
    DataType.INT: _to_int,
    DataType.FLOAT: _to_float,
    DataType.CHAT_HISTORY: lambda v: _to_struct(v, ChatHistory, "ChatHistory"),
    DataType.OPENAI_CHAT: lambda v: _to_struct(v, OpenAIChatRequest, "OpenAIChatRequest"),
    DataType.OPENAI_CHAT_RESPONSE: lambda v: _to_struct(
        v, OpenAIChatResponse, "OpenAIChatResponse"
    ),
    DataType.SEARCH_RESULTS: lambda v: _to_struct(v, list[SearchResult], "search results"),
}


def convert_input(value: Any, data_type: DataType) -> Any:
    """Convert a decoded JSON `input` by `inputType` (SPEC 3.8); `json`, `any`... keep it as is."""
    converter = _CONVERTERS.get(data_type)
    return value if converter is None else converter(value)


def to_json_text(value: Any) -> str:
    """JSON text of any engine value (Go `%v` as a fallback for the unencodable)."""
    try:
        return msgspec.json.encode(value).decode()
    except (TypeError, msgspec.EncodeError):
        return go_value(value)


def to_builtins(value: Any) -> Any:
    """Plain JSON values for an engine value (Structs become dicts)."""
    return msgspec.to_builtins(value)


def prompt_of(value: Any, data_type: DataType, handler: str) -> str:
    """The prompt text of a prompt-family handler's input (SPEC 8.3)."""
    match data_type:
        case DataType.STRING if isinstance(value, str):
            return value
        case DataType.INT if isinstance(value, int):
            return str(value)
        case DataType.FLOAT if isinstance(value, int | float):
            return f"{value:f}"
        case DataType.BOOL if isinstance(value, bool):
            return "true" if value else "false"
        case DataType.CHAT_HISTORY if isinstance(value, ChatHistory):
            if not value.messages:
                raise ValueError("chat history is empty")
            return value.messages[-1].content
        case DataType.OPENAI_CHAT if isinstance(value, OpenAIChatRequest):
            return text_of(value.messages[-1]) if value.messages else ""
    raise ValueError(f"getPrompt unsupported input type for task {handler}: {data_type}")
