"""Compose strategies: combine a task's output with a variable (SPEC 8.7). Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from runtime.taskengine.chat import ChatHistory, Message, OpenAIChatRequest, OpenAIMessage
from runtime.taskengine.datatypes import DataType
from runtime.taskengine.schema import Compose

STRATEGIES = ("override", "append_string_to_chat_history", "merge_chat_histories")


class ComposeError(ValueError):
    """The compose step cannot be applied; aborts the chain without retries."""


def default_strategy(chain_input_type: DataType, with_type: DataType) -> str:
    both_chats = chain_input_type == with_type == DataType.CHAT_HISTORY
    return "merge_chat_histories" if both_chats else "override"


def compose(
    spec: Compose,
    output: Any,
    output_type: DataType,
    variables: dict[str, tuple[Any, DataType]],
    chain_input_type: DataType,
    now: datetime,
) -> tuple[Any, DataType]:
    """The composed value and its type (chain input type if it equals the with-var's, else any)."""
    if spec.with_var not in variables:
        raise ComposeError(f'compose right_var "{spec.with_var}" not found')
    right, right_type = variables[spec.with_var]
    strategy = spec.strategy or default_strategy(chain_input_type, right_type)
    if strategy == "override":
        value: Any = _override(output, right)
    elif strategy == "append_string_to_chat_history":
        value = _append(output, right, now)
    elif strategy == "merge_chat_histories":
        value = _merge(output, output_type, right, right_type)
    else:
        raise ComposeError(f'unsupported compose strategy: "{strategy}"')
    return value, (chain_input_type if chain_input_type == right_type else DataType.ANY)


def _override(output: Any, right: Any) -> dict[str, Any]:
    left = msgspec.to_builtins(output) if isinstance(output, msgspec.Struct) else output
    other = msgspec.to_builtins(right) if isinstance(right, msgspec.Struct) else right
    if not isinstance(left, dict) or not isinstance(other, dict):
        raise ComposeError("invalid types for override")
    return {**left, **other}


def _append(output: Any, right: Any, now: datetime) -> ChatHistory:
    if isinstance(output, str) and isinstance(right, ChatHistory):
        text, history = output, right
    elif isinstance(right, str) and isinstance(output, ChatHistory):
        text, history = right, output
    else:
        raise ComposeError(
            "invalid types for append_string_to_chat_history: need a string and a chat_history"
        )
    system = Message(role="system", content=text, timestamp=now)
    return ChatHistory(messages=[system, *history.messages], model=history.model)


def _merge(
    output: Any, output_type: DataType, right: Any, right_type: DataType
) -> ChatHistory | OpenAIChatRequest:
    left_chat = output if output_type == DataType.CHAT_HISTORY else None
    right_chat = right if right_type == DataType.CHAT_HISTORY else None
    if not isinstance(left_chat, ChatHistory | None) or not isinstance(
        right_chat, ChatHistory | None
    ):
        raise ComposeError("invalid types for merge_chat_histories")
    if left_chat is None and right_chat is None:
        raise ComposeError("invalid types for merge_chat_histories: no chat_history side")
    messages = [
        *(right_chat.messages if right_chat else []),
        *(left_chat.messages if left_chat else []),
    ]
    model = (
        ""
        if left_chat is not None and left_chat.model
        else (right_chat.model if right_chat else "")
    )
    if left_chat is not None and right_chat is not None:
        return ChatHistory(
            messages=messages,
            model=model,
            input_tokens=left_chat.input_tokens + right_chat.input_tokens,
            output_tokens=left_chat.output_tokens + right_chat.output_tokens,
        )
    return OpenAIChatRequest(
        model=model, messages=[OpenAIMessage(role=m.role, content=m.content) for m in messages]
    )
