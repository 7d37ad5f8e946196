from __future__ import annotations

from typing import Any

import pytest

from runtime.taskengine.chat import ChatHistory, Message, OpenAIChatResponse
from runtime.taskengine.executor import Executor
from runtime.taskengine.types import ChainError
from tests.taskengine.helpers import chain, task
from tests.taskengine.ports import FakeTools, ScriptedLlm


async def run_one(
    spec: dict[str, Any], value: Any, input_type: str = "string", **ports: Any
) -> tuple[Any, str, str]:
    llm = ports.get("llm", ScriptedLlm())
    tools = ports.get("tools", FakeTools())
    result = await Executor(llm, tools).run(chain(spec), value, input_type)
    return result.output, result.output_type, result.state[-1].transition


async def test_raw_string_passes_system_instruction_models_and_temperature() -> None:
    llm = ScriptedLlm(prompts=["  hello "])
    config = {"model": "a", "models": ["", "b"], "provider": "ollama", "temperature": 0.3}
    spec = task("t1", "raw_string", system_instruction="sys", execute_config=config)
    assert await run_one(spec, "hi", llm=llm) == ("hello", "string", "hello")
    call = llm.prompt_calls[0]
    assert (call.prompt, call.system_instruction, call.models, call.providers) == (
        "hi",
        "sys",
        ["a", "b"],
        ["ollama"],
    )
    assert call.temperature == 0.3


async def test_raw_string_rejects_an_empty_prompt() -> None:
    with pytest.raises(ChainError, match="unprocessable empty prompt"):
        await run_one(task("t1", "raw_string"), "")


@pytest.mark.parametrize(
    ("value", "input_type", "prompt"),
    [(3, "int", "3"), (3.5, "float", "3.500000"), (True, "bool", "true")],
)
async def test_prompt_family_renders_scalar_inputs_as_text(
    value: Any, input_type: str, prompt: str
) -> None:
    llm = ScriptedLlm(prompts=["ok"])
    await run_one(task("t1", "raw_string"), value, input_type, llm=llm)
    assert llm.prompt_calls[0].prompt == prompt


async def test_prompt_family_uses_the_last_chat_message() -> None:
    llm = ScriptedLlm(prompts=["ok"])
    history = {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}
    await run_one(task("t1", "raw_string"), history, "chat_history", llm=llm)
    assert llm.prompt_calls[0].prompt == "b"


async def test_prompt_family_rejects_json_input() -> None:
    with pytest.raises(ChainError, match="getPrompt unsupported input type for task raw_string"):
        await run_one(task("t1", "raw_string"), {"a": 1}, "json")


async def test_condition_key_maps_the_answer_to_its_boolean() -> None:
    spec = task("t1", "condition_key", valid_conditions={"yes": True, "no": False})
    llm = ScriptedLlm(prompts=[" no\n"])
    assert await run_one(spec, "q", llm=llm) == (False, "bool", "false")


async def test_condition_key_rejects_an_unknown_answer() -> None:
    spec = task("t1", "condition_key", valid_conditions={"yes": True})
    with pytest.raises(ChainError, match="failed to parse into valid condition output was: maybe"):
        await run_one(spec, "q", llm=ScriptedLlm(prompts=["maybe"]))


async def test_parse_number_branches_on_the_number_before_default() -> None:
    spec = task(
        "t1",
        "parse_number",
        transition={
            "branches": [
                {"operator": "default", "goto": "low"},
                {"operator": ">", "when": "5", "goto": "end"},
            ]
        },
    )
    low = task("low", "raise_error", prompt_template="went low")
    llm = ScriptedLlm(prompts=["The answer is 8."])
    result = await Executor(llm, FakeTools()).run(chain(spec, low), "q", "string")
    assert (result.output, result.output_type, result.state[-1].transition) == (8, "int", "8")


async def test_parse_number_rejects_fractions() -> None:
    with pytest.raises(ChainError, match=r"parsed number is not an integer: 2.5"):
        await run_one(task("t1", "parse_number"), "q", llm=ScriptedLlm(prompts=["2.5"]))


async def test_parse_score_returns_a_float_with_two_decimal_eval() -> None:
    llm = ScriptedLlm(prompts=["score: 7.5"])
    assert await run_one(task("t1", "parse_score"), "q", llm=llm) == (7.5, "float", "7.50")


@pytest.mark.parametrize(("answer", "expected"), [(' "6 - 8" ', "6-8"), ("5", "5-5")])
async def test_parse_range_returns_the_cleaned_range(answer: str, expected: str) -> None:
    llm = ScriptedLlm(prompts=[answer])
    assert await run_one(task("t1", "parse_range"), "q", llm=llm) == (expected, "string", expected)


async def test_parse_range_rejects_non_numbers() -> None:
    with pytest.raises(ChainError, match="invalid range"):
        await run_one(task("t1", "parse_range"), "q", llm=ScriptedLlm(prompts=["a-b"]))


@pytest.mark.parametrize(
    ("text", "expected"), [("", ""), ("hello", "pass"), ("  /search the web", "search")]
)
async def test_parse_transition_picks_the_command_and_keeps_the_input(
    text: str, expected: str
) -> None:
    assert await run_one(task("t1", "parse_transition"), text) == (text, "string", expected)


async def test_parse_transition_rejects_a_bare_slash() -> None:
    with pytest.raises(ChainError, match="empty command"):
        await run_one(task("t1", "parse_transition"), "/")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "a=1; b = two; c=true; d='x y'; e: 2.5",
            {"a": 1, "b": "two", "c": True, "d": "x y", "e": 2.5},
        ),
        ("a=1\nb=2", {"a": 1, "b": 2}),
        ("a=1, b=false", {"a": 1, "b": False}),
        ("", {}),
    ],
)
async def test_parse_key_value_builds_an_object(text: str, expected: dict[str, Any]) -> None:
    assert await run_one(task("t1", "parse_key_value"), text) == (expected, "json", "parsed")


async def test_parse_key_value_rejects_a_pair_without_separator() -> None:
    with pytest.raises(ChainError, match='invalid key-value pair: "oops"'):
        await run_one(task("t1", "parse_key_value"), "a=1;oops")


async def test_embedding_returns_a_vector() -> None:
    llm = ScriptedLlm(vector=[0.5, 0.25])
    spec = task("t1", "embedding", execute_config={"model": "e"})
    assert await run_one(spec, "text", llm=llm) == ([0.5, 0.25], "vector", "ok")
    assert llm.embed_calls[0].models == ["e"]


async def test_embedding_rejects_several_models() -> None:
    spec = task("t1", "embedding", execute_config={"model": "a", "models": ["b"]})
    with pytest.raises(ChainError, match="multiple models specified"):
        await run_one(spec, "text")


async def test_raise_error_fails_with_the_prompt() -> None:
    with pytest.raises(ChainError, match="task t1: stop here"):
        await run_one(task("t1", "raise_error", prompt_template="stop {{.input}}"), "here")


async def test_noop_with_prompt_template_yields_a_string() -> None:
    result = await run_one(task("t1", "noop", prompt_template="{{.input.a}}"), {"a": 2}, "json")
    assert result == ("2", "string", "noop")


async def test_hook_passes_the_input_and_returns_typed_json() -> None:
    tools = FakeTools({"svc": {"echo": {"status": "up"}}})
    spec = task("t1", "hook", hook={"name": "svc", "tool_name": "echo", "args": {"p": "1"}})
    assert await run_one(spec, "Trigger hook", tools=tools) == ({"status": "up"}, "json", "ok")
    hook, given = tools.hook_calls[0]
    assert (hook.name, hook.tool_name, hook.args, given) == (
        "svc",
        "echo",
        {"p": "1"},
        "Trigger hook",
    )


async def test_hook_output_template_renders_over_the_hook_result() -> None:
    tools = FakeTools({"svc": {"echo": {"status": "up"}}})
    spec = task(
        "t1",
        "hook",
        hook={"name": "svc", "tool_name": "echo"},
        output_template="status={{.status}}",
    )
    assert await run_one(spec, "x", tools=tools) == ("status=up", "string", "status=up")


async def test_hook_with_empty_result_has_type_any() -> None:
    tools = FakeTools({"svc": {"nothing": None}})
    spec = task("t1", "hook", hook={"name": "svc", "tool_name": "nothing"})
    assert await run_one(spec, "x", tools=tools) == (None, "any", "ok")


async def test_model_execution_rejects_string_input() -> None:
    with pytest.raises(ChainError, match="requires input of type 'openai_chat' or 'chat_history'"):
        await run_one(task("t1", "model_execution"), "hi")


async def test_execute_tool_calls_rejects_string_input() -> None:
    with pytest.raises(ChainError, match="requires 'chat_history' input, but got 'string'"):
        await run_one(task("t1", "execute_tool_calls"), "hi")


async def test_execute_tool_calls_reports_when_there_is_nothing_to_do() -> None:
    empty = await run_one(task("t1", "execute_tool_calls"), {"messages": []}, "chat_history")
    assert empty[2] == "no_op"
    plain = {"messages": [{"role": "assistant", "content": "hi"}]}
    assert (await run_one(task("t1", "execute_tool_calls"), plain, "chat_history"))[2] == (
        "no_calls_found"
    )


async def test_convert_to_openai_chat_response_builds_a_completion() -> None:
    history = ChatHistory(
        messages=[Message(role="assistant", content="")], model="m", input_tokens=3, output_tokens=2
    )
    output, output_type, evaluation = await run_one(
        task("t1", "convert_to_openai_chat_response"), history, "chat_history"
    )
    assert (output_type, evaluation) == ("openai_chat_response", "converted")
    assert isinstance(output, OpenAIChatResponse)
    assert output.id.startswith("chatcmpl-")
    assert output.choices[0].message.content == ""
    assert output.choices[0].finish_reason == "stop"
    assert (output.usage.prompt_tokens, output.usage.total_tokens) == (3, 5)
