from __future__ import annotations

import asyncio
import json

import msgspec
import pytest

from runtime.taskengine.chat import ChatHistory, Message
from runtime.taskengine.convert import (
    content_chunk,
    final_chunk,
    history_to_response,
    tool_calls_chunk,
)
from runtime.taskengine.executor import Executor
from runtime.taskengine.streaming import has_streamable_step, streamable_tasks
from runtime.taskengine.types import ChainError
from tests.taskengine.helpers import chain, task
from tests.taskengine.ports import FakeTools, ScriptedLlm, tool_call

TOOL_LOOP = (
    task(
        "chat",
        "model_execution",
        execute_config={"hooks": ["weather"]},
        transition={
            "branches": [
                {"operator": "equals", "when": "tool-call", "goto": "tools"},
                {"operator": "default", "goto": "answer"},
            ]
        },
    ),
    task(
        "tools",
        "execute_tool_calls",
        transition={"branches": [{"operator": "default", "goto": "chat"}]},
    ),
    task("answer", "convert_to_openai_chat_response"),
)


def weather_tools() -> FakeTools:
    return FakeTools({"weather": {"forecast": {"sky": "sunny"}}})


REQUEST = {
    "model": "client-model",
    "temperature": 0.2,
    "max_tokens": 50,
    "messages": [{"role": "user", "content": "Weather in Paris?"}],
    "tools": [
        {"type": "function", "function": {"name": "client_tool"}},
        {"type": "function", "function": {"name": "hidden_tool"}},
    ],
}


async def test_model_tool_model_round_trip_through_execute_tool_calls() -> None:
    llm = ScriptedLlm(
        replies=[
            Message(
                role="assistant",
                call_tools=[
                    tool_call("c1", "weather.forecast", {"city": "Paris"}),
                    tool_call("c2", "client_tool", {}),
                ],
            ),
            Message(role="assistant", content="Sunny in Paris."),
        ]
    )
    tools = FakeTools({"weather": {"forecast": {"sky": "sunny"}}})
    result = await Executor(llm, tools).run(chain(*TOOL_LOOP), REQUEST, "openai_chat")
    assert tools.tool_calls == [("weather.forecast", {"city": "Paris"})]
    assert [t.function.name for t in llm.chat_calls[0].tools] == ["weather.forecast"]
    second = llm.chat_calls[1].messages
    assert [m.role for m in second] == ["user", "assistant", "tool"]
    assert (second[2].tool_call_id, json.loads(second[2].content)) == ("c1", {"sky": "sunny"})
    assert result.output_type == "openai_chat_response"
    assert result.output.model == "client-model"
    assert result.output.choices[0].message.content == "Sunny in Paris."
    assert [u.transition for u in result.state] == [
        "tool-call",
        "tools_executed",
        "executed",
        "converted",
    ]


async def test_model_execution_uses_request_parameters_and_client_tools() -> None:
    llm = ScriptedLlm(replies=[Message(role="assistant", content="ok")])
    spec = task(
        "t1",
        "model_execution",
        system_instruction="Be terse.",
        execute_config={
            "model": "task-model",
            "pass_clients_tools": True,
            "hide_tools": ["hidden_tool"],
        },
    )
    result = await Executor(llm, FakeTools()).run(chain(spec), REQUEST, "openai_chat")
    call = llm.chat_calls[0]
    assert (call.models, call.temperature, call.max_tokens) == (["task-model"], 0.2, 50)
    assert [t.function.name for t in call.tools] == ["client_tool"]
    assert (call.messages[0].role, call.messages[0].content) == ("system", "Be terse.")
    history = result.output
    assert isinstance(history, ChatHistory)
    assert history.model == "client-model"
    assert history.output_tokens == 7
    assert history.input_tokens > 0


async def test_model_execution_does_not_duplicate_an_existing_system_message() -> None:
    llm = ScriptedLlm(replies=[Message(role="assistant", content="ok")])
    spec = task("t1", "model_execution", system_instruction="sys")
    given = {"messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "q"}]}
    await Executor(llm, FakeTools()).run(chain(spec), given, "chat_history")
    assert [m.role for m in llm.chat_calls[0].messages] == ["system", "user"]


async def test_token_limit_rejects_a_long_history() -> None:
    spec = task("t1", "model_execution")
    given = {"messages": [{"role": "user", "content": "x" * 400}]}
    with pytest.raises(ChainError, match="input token count 100 exceeds context length 10"):
        await Executor(ScriptedLlm(), FakeTools()).run(
            chain(spec, token_limit=10), given, "chat_history"
        )


async def test_unknown_hook_fails_the_model_task() -> None:
    spec = task("t1", "model_execution", execute_config={"hooks": ["nope"]})
    given = {"messages": [{"role": "user", "content": "q"}]}
    with pytest.raises(ChainError, match="unknown hook: nope"):
        await Executor(ScriptedLlm(), FakeTools()).run(chain(spec), given, "chat_history")


def test_streaming_rule_marks_terminal_model_steps_only() -> None:
    assert streamable_tasks(chain(*TOOL_LOOP)) == {"chat"}
    middle = task(
        "first",
        "model_execution",
        transition={"branches": [{"operator": "default", "goto": "second"}]},
    )
    second = task("second", "model_execution")
    assert streamable_tasks(chain(middle, second)) == {"second"}
    composed = task("m", "model_execution", compose={"with_var": "input"})
    assert not has_streamable_step(chain(composed))
    assert not has_streamable_step(chain(task("t1", "noop")))


async def test_streamed_deltas_arrive_before_the_model_finishes_and_join_to_the_answer() -> None:
    answer = "Sunny with a light breeze in Paris."
    llm = ScriptedLlm(replies=[Message(role="assistant", content=answer)], delay=0.01)
    seen: list[tuple[str, int]] = []

    async def sink(delta: str) -> None:
        seen.append((delta, llm.finished))

    result = await Executor(llm, weather_tools()).run(
        chain(*TOOL_LOOP), REQUEST, "openai_chat", on_delta=sink
    )
    assert "".join(d for d, _ in seen) == answer == result.output.choices[0].message.content
    assert all(finished == 0 for _, finished in seen)
    assert len(seen) > 1


async def test_only_the_terminal_step_streams() -> None:
    llm = ScriptedLlm(
        replies=[
            Message(role="assistant", content="draft"),
            Message(role="assistant", content="final"),
        ]
    )
    first = task(
        "first",
        "model_execution",
        transition={"branches": [{"operator": "default", "goto": "second"}]},
    )
    second = task("second", "model_execution")
    deltas: list[str] = []

    async def sink(delta: str) -> None:
        deltas.append(delta)

    given = {"messages": [{"role": "user", "content": "q"}]}
    await Executor(llm, FakeTools()).run(chain(first, second), given, "chat_history", on_delta=sink)
    assert "".join(deltas) == "final"
    assert len(llm.streamed) == 1


async def test_cancelling_a_streaming_run_stops_the_stream() -> None:
    llm = ScriptedLlm(replies=[Message(role="assistant", content="a b c d e f")], delay=0.05)
    deltas: list[str] = []

    async def sink(delta: str) -> None:
        deltas.append(delta)

    run = asyncio.create_task(
        Executor(llm, weather_tools()).run(chain(*TOOL_LOOP), REQUEST, "openai_chat", on_delta=sink)
    )
    await asyncio.sleep(0.08)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert 0 < len(deltas) < 6
    assert llm.finished == 0


def test_history_with_tool_calls_becomes_a_tool_calls_choice() -> None:
    call = tool_call("c1", "weather.forecast", {"city": "Paris"})
    history = ChatHistory(messages=[Message(role="assistant", call_tools=[call])], model="m")
    body = msgspec.to_builtins(history_to_response(history, "id1", 10))
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["finish_reason"] == "tool_calls"
    assert "content" not in body["choices"][0]["message"]
    assert body["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "weather.forecast"


def test_empty_history_becomes_a_response_without_choices() -> None:
    body = msgspec.to_builtins(history_to_response(ChatHistory(model="m"), "id1", 10))
    assert body["choices"] == []
    assert body["usage"] == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


def test_stream_chunks_omit_finish_reason_until_the_last() -> None:
    first = msgspec.to_builtins(content_chunk("id", 1, "m", "Hi"))
    assert first["choices"] == [{"index": 0, "delta": {"content": "Hi"}}]
    assert first["object"] == "chat.completion.chunk"
    last = msgspec.to_builtins(final_chunk("id", 1, "m", "stop"))
    assert last["choices"] == [{"index": 0, "delta": {}, "finish_reason": "stop"}]
    calls = msgspec.to_builtins(tool_calls_chunk("id", 1, "m", [tool_call("c", "h.t", {})]))
    assert calls["choices"][0]["delta"]["tool_calls"][0]["index"] == 0
