from __future__ import annotations

from typing import Any

import pytest

from runtime.taskengine.chat import ChatHistory, Message, OpenAIChatRequest
from runtime.taskengine.executor import Executor
from runtime.taskengine.types import ChainError
from tests.taskengine.helpers import chain, goto, task
from tests.taskengine.ports import FakeTools, ScriptedLlm


async def run(*tasks: dict[str, Any], value: Any, input_type: str) -> Any:
    return await Executor(ScriptedLlm(), FakeTools()).run(chain(*tasks), value, input_type)


async def test_override_overlays_the_with_var_onto_the_output() -> None:
    first = task(
        "data", "noop", prompt_template="ignored", input_var="input", transition=goto("t2")
    )
    first.pop("prompt_template")
    second = task(
        "t2",
        "parse_key_value",
        prompt_template="b=3;c=4",
        compose={"with_var": "input", "strategy": "override"},
    )
    result = await run(first, second, value={"a": 1, "b": 2}, input_type="json")
    assert result.output == {"a": 1, "b": 2, "c": 4}
    assert result.output_type == "json"  # the chain input type equals the with-var's


async def test_compose_without_strategy_on_objects_overrides_and_is_stored_as_a_variable() -> None:
    first = task(
        "t1",
        "parse_key_value",
        prompt_template="b=3",
        compose={"with_var": "input"},
        transition=goto("t2"),
    )
    second = task("t2", "noop", prompt_template="{{.t1_composed.a}}{{.t1_composed.b}}")
    result = await run(first, second, value={"a": 1, "b": 2}, input_type="json")
    assert result.output == "12"


async def test_append_string_to_chat_history_prepends_a_system_message() -> None:
    spec = task(
        "t1",
        "noop",
        prompt_template="You are helpful.",
        compose={"with_var": "input", "strategy": "append_string_to_chat_history"},
    )
    history = {"messages": [{"role": "user", "content": "Hello"}], "model": "m", "inputTokens": 4}
    result = await run(spec, value=history, input_type="chat_history")
    assert isinstance(result.output, ChatHistory)
    assert [(m.role, m.content) for m in result.output.messages] == [
        ("system", "You are helpful."),
        ("user", "Hello"),
    ]
    assert (result.output.model, result.output.input_tokens) == ("m", 0)
    assert result.output_type == "chat_history"


async def test_merge_chat_histories_puts_the_with_var_first_and_sums_tokens() -> None:
    llm = ScriptedLlm(replies=[Message(role="assistant", content="Hi")])
    spec = task("t1", "model_execution", compose={"with_var": "input"})
    history = {
        "messages": [{"role": "user", "content": "Hello"}],
        "inputTokens": 10,
        "model": "gpt-4",
    }
    result = await Executor(llm, FakeTools()).run(chain(spec), history, "chat_history")
    output = result.output
    assert [m.role for m in output.messages] == ["user", "user", "assistant"]
    assert output.input_tokens == 20
    assert output.model == ""
    assert result.output_type == "chat_history"


async def test_merge_with_one_chat_side_gives_an_openai_request() -> None:
    spec = task("t1", "noop", compose={"with_var": "input", "strategy": "merge_chat_histories"})
    first = task("h", "noop", transition=goto("t1"))
    history = {"messages": [{"role": "user", "content": "Hello"}]}
    # The with-var is the chat history; the output (after prompt_template) is a string.
    spec["prompt_template"] = "text"
    result = await run(first, spec, value=history, input_type="chat_history")
    assert isinstance(result.output, OpenAIChatRequest)
    assert [m.content for m in result.output.messages] == ["Hello"]


async def test_missing_with_var_fails_with_the_reference_message() -> None:
    spec = task("t1", "noop", compose={"with_var": "nonexistent"}, transition={})
    with pytest.raises(ChainError, match=r'^compose right_var "nonexistent" not found$'):
        await run(spec, value="x", input_type="string")


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        ("zip", 'unsupported compose strategy: "zip"'),
        ("override", "invalid types for override"),
        ("append_string_to_chat_history", "invalid types for append_string_to_chat_history"),
        ("merge_chat_histories", "invalid types for merge_chat_histories"),
    ],
)
async def test_compose_rejects_wrong_strategies_and_types(strategy: str, message: str) -> None:
    spec = task("t1", "noop", compose={"with_var": "input", "strategy": strategy})
    with pytest.raises(ChainError, match=message):
        await run(spec, value="x", input_type="string")
