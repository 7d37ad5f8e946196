"""Chat handlers: model_execution, execute_tool_calls, convert_to_openai_chat_response (SPEC 8.8).

Hook tools are offered to the model as `<hook>.<tool>`; their calls are executed through
`Tools.call_tool` and answered with `tool` messages carrying the call id (SPEC 0 item 10).
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from runtime.taskengine.chat import ChatHistory, Message, OpenAIChatRequest, ToolSpec
from runtime.taskengine.convert import completion_id, history_from_request, history_to_response
from runtime.taskengine.datatypes import DataType
from runtime.taskengine.handlers.base import HandlerError, Outcome, TaskContext
from runtime.taskengine.ports import ChatCall, ChatDelta, ChatResult
from runtime.taskengine.schema import LLMExecutionConfig
from runtime.wire.tokens import estimate_text


def _overlay(base: LLMExecutionConfig, task: LLMExecutionConfig | None) -> LLMExecutionConfig:
    """The request config with the task's non-empty fields winning."""
    if task is None:
        return base
    changes = {
        name: getattr(task, name)
        for name in task.__struct_fields__
        if getattr(task, name) not in (None, "", [], False)
    }
    return msgspec.structs.replace(base, **changes)


def _prepare(ctx: TaskContext, value: Any, data_type: DataType) -> tuple[ChatHistory, ChatCall]:
    task_config = ctx.task.execute_config
    if data_type == DataType.OPENAI_CHAT and isinstance(value, OpenAIChatRequest):
        history = history_from_request(value, ctx.now())
        base = LLMExecutionConfig(model=value.model, temperature=value.temperature)
        config, max_tokens = _overlay(base, task_config), value.max_tokens
    elif data_type == DataType.CHAT_HISTORY and isinstance(value, ChatHistory):
        history = msgspec.structs.replace(value, messages=list(value.messages))
        config, max_tokens = task_config or LLMExecutionConfig(), None
    else:
        raise HandlerError(
            "handler 'model_execution' requires input of type 'openai_chat' or 'chat_history', "
            f"but got '{data_type}'"
        )
    instruction = ctx.task.system_instruction
    if instruction and not any(
        m.role == "system" and m.content == instruction for m in history.messages
    ):
        system = Message(role="system", content=instruction, timestamp=ctx.now())
        history.messages.insert(0, system)
    if history.input_tokens <= 0:
        history.input_tokens = sum(estimate_text(m.content) for m in history.messages)
    limit = ctx.chain.token_limit
    if limit > 0 and history.input_tokens > limit:
        raise HandlerError(
            f"input token count {history.input_tokens} exceeds context length {limit}"
        )
    call = ChatCall(
        messages=list(history.messages),
        models=config.model_names(),
        providers=config.provider_names(),
        temperature=config.temperature,
        max_tokens=max_tokens,
    )
    return history, call


def _client_tools(ctx: TaskContext, config: LLMExecutionConfig) -> list[ToolSpec]:
    if not config.pass_clients_tools:
        return []
    hidden = set(config.hide_tools)
    return [t for t in ctx.client_tools if t.function.name not in hidden]


async def _complete(ctx: TaskContext, call: ChatCall) -> ChatResult:
    if ctx.on_delta is None:
        return await ctx.llm.chat(call)
    result: ChatResult | None = None
    async for item in ctx.llm.stream_chat(call):
        if isinstance(item, ChatDelta):
            if item.content:
                await ctx.on_delta(item.content)
        else:
            result = item
    if result is None:
        raise HandlerError("chat stream ended without a final message")
    return result


async def model_execution(ctx: TaskContext, value: Any, data_type: DataType) -> Outcome:
    history, call = _prepare(ctx, value, data_type)
    config = ctx.config
    call.tools = _client_tools(ctx, config)
    if config.hooks:
        call.tools += await ctx.tools.tools_for(list(config.hooks))
    try:
        result = await _complete(ctx, call)
    except HandlerError:
        raise
    except Exception as exc:
        raise HandlerError(f"chat failed: {exc}") from exc
    reply = result.message
    if reply.timestamp == Message(role="").timestamp:
        reply = msgspec.structs.replace(reply, timestamp=ctx.now())
    history.messages.append(reply)
    # what the backend counted, where it reports it; the estimate stands in otherwise
    history.input_tokens = result.input_tokens or history.input_tokens
    history.output_tokens = result.output_tokens or estimate_text(reply.content)
    return Outcome(history, DataType.CHAT_HISTORY, "tool-call" if reply.call_tools else "executed")


def _tool_content(result_value: Any, result_type: str) -> str:
    if result_value is None:
        return "nil"
    if result_type == "string" and isinstance(result_value, str):
        return result_value
    return json.dumps(result_value, ensure_ascii=False, default=str)


async def execute_tool_calls(ctx: TaskContext, value: Any, data_type: DataType) -> Outcome:
    if data_type != DataType.CHAT_HISTORY or not isinstance(value, ChatHistory):
        raise HandlerError(
            f"handler 'execute_tool_calls' requires 'chat_history' input, but got '{data_type}'"
        )
    if not value.messages:
        return Outcome(value, data_type, "no_op")
    last = value.messages[-1]
    if not last.call_tools:
        return Outcome(value, data_type, "no_calls_found")
    messages = list(value.messages)
    for call in last.call_tools:
        hook = call.function.name.partition(".")[0]
        if "." not in call.function.name or hook not in ctx.hook_names:
            continue  # a client tool: the client executes it
        try:
            arguments = json.loads(call.function.arguments or "{}")
        except json.JSONDecodeError as exc:
            raise HandlerError(f"tool {call.function.name}: invalid arguments: {exc}") from exc
        if not isinstance(arguments, dict):
            raise HandlerError(f"tool {call.function.name}: arguments must be a JSON object")
        result = await ctx.tools.call_tool(call.function.name, arguments)
        content = _tool_content(result.value, result.data_type)
        messages.append(
            Message(role="tool", content=content, tool_call_id=call.id, timestamp=ctx.now())
        )
    return Outcome(msgspec.structs.replace(value, messages=messages), data_type, "tools_executed")


async def convert_to_openai_chat_response(
    ctx: TaskContext, value: Any, data_type: DataType
) -> Outcome:
    if data_type != DataType.CHAT_HISTORY or not isinstance(value, ChatHistory):
        raise HandlerError(
            "handler 'convert_to_openai_chat_response' requires 'chat_history' input, "
            f"but got '{data_type}'"
        )
    now = ctx.now()
    response = history_to_response(value, completion_id(now), int(now.timestamp()))
    return Outcome(response, DataType.OPENAI_CHAT_RESPONSE, "converted")
