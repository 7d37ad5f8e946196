"""The handler registry: one async function per `HandlerKind` (SPEC 8.3)."""

from __future__ import annotations

from runtime.taskengine.handlers import chat, hook, knowledge, prompt, text
from runtime.taskengine.handlers.base import Handler, HandlerError, Outcome, TaskContext
from runtime.taskengine.schema import HandlerKind

HANDLERS: dict[HandlerKind, Handler] = {
    HandlerKind.RAW_STRING: prompt.raw_string,
    HandlerKind.CONDITION_KEY: prompt.condition_key,
    HandlerKind.PARSE_NUMBER: prompt.parse_number_handler,
    HandlerKind.PARSE_SCORE: prompt.parse_score,
    HandlerKind.PARSE_RANGE: prompt.parse_range,
    HandlerKind.PARSE_TRANSITION: text.parse_transition,
    HandlerKind.PARSE_KEY_VALUE: text.parse_key_value,
    HandlerKind.EMBEDDING: prompt.embedding,
    HandlerKind.RAISE_ERROR: prompt.raise_error,
    HandlerKind.MODEL_EXECUTION: chat.model_execution,
    HandlerKind.EXECUTE_TOOL_CALLS: chat.execute_tool_calls,
    HandlerKind.CONVERT_TO_OPENAI_CHAT_RESPONSE: chat.convert_to_openai_chat_response,
    HandlerKind.HOOK: hook.hook,
    HandlerKind.NOOP: text.noop,
    HandlerKind.SEARCH_KNOWLEDGE: knowledge.search_knowledge,
}

__all__ = ["HANDLERS", "Handler", "HandlerError", "Outcome", "TaskContext"]
