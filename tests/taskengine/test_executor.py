from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest

from runtime import errors
from runtime.taskengine.chat import ChatHistory, Message, OpenAIChatRequest, SearchResult
from runtime.taskengine.executor import Executor
from runtime.taskengine.schema import decode_chain
from runtime.taskengine.types import ChainError, StepLimitError
from tests.taskengine.helpers import chain, goto, task
from tests.taskengine.ports import FakeTools, ScriptedLlm


def executor(llm: ScriptedLlm | None = None, **kwargs: Any) -> Executor:
    return Executor(llm or ScriptedLlm(), FakeTools(), **kwargs)


async def test_raw_string_with_prompt_template_returns_the_trimmed_answer() -> None:
    llm = ScriptedLlm(prompts=[" 42 \n"])
    spec = task(
        "t1",
        "raw_string",
        prompt_template="What is {{.input}}?",
        transition={"branches": [{"operator": "equals", "when": "42", "goto": "end"}]},
    )
    result = await executor(llm).run(chain(spec), "6*7", "string")
    assert (result.output, result.output_type) == ("42", "string")
    assert llm.prompt_calls[0].prompt == "What is 6*7?"


async def test_permanently_failing_task_reports_its_retries() -> None:
    spec = task("t1", "raise_error", retry_on_failure=1)
    with pytest.raises(ChainError, match="task t1 failed after 1 retries: task t1: boom") as info:
        await executor().run(chain(spec), "boom", "string")
    assert [unit.error.error for unit in info.value.state] == ["task t1: boom"] * 2


async def test_on_failure_routes_to_a_recovery_task_whose_output_is_the_result() -> None:
    failing = task("t1", "raise_error", transition={"on_failure": "recover"})
    recover = task("recover", "noop", prompt_template="recovered from {{.input}}")
    result = await executor().run(chain(failing, recover), "x", "string")
    assert result.output == "recovered from x"
    assert [u.task_id for u in result.state] == ["t1", "recover"]


async def test_retry_succeeds_on_a_later_attempt() -> None:
    llm = ScriptedLlm(prompts=["not a number", "7"])
    spec = task("t1", "parse_number", retry_on_failure=2)
    result = await executor(llm).run(chain(spec), "count", "string")
    assert result.output == 7
    assert [u.error.error != "" for u in result.state] == [True, False]


async def test_timeout_fails_the_attempt_and_then_on_failure_runs() -> None:
    llm = ScriptedLlm(prompts=["late"], delay=5)
    slow = task("t1", "raw_string", timeout="20ms", transition={"on_failure": "fallback"})
    fallback = task("fallback", "noop", prompt_template="fallback")
    result = await executor(llm).run(chain(slow, fallback), "q", "string")
    assert result.output == "fallback"
    assert result.state[0].error.error == "task t1: timed out after 20ms"


async def test_step_limit_stops_a_cycle_with_a_clear_error() -> None:
    loop = task("a", "noop", transition=goto("b"))
    back = task("b", "noop", transition=goto("a"))
    with pytest.raises(StepLimitError, match="exceeded the step limit of 5") as info:
        await executor(max_steps=5).run(chain(loop, back), "x", "string")
    assert len(info.value.state) == 5


async def test_cancelling_the_caller_stops_the_run() -> None:
    llm = ScriptedLlm(prompts=["never"], delay=10)
    run = asyncio.create_task(executor(llm).run(chain(task("t1", "raw_string")), "q", "string"))
    await asyncio.sleep(0.01)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert llm.prompts == ["never"]


async def test_captured_state_has_the_reference_shape() -> None:
    spec = task("t1", "noop", input_var="input")
    result = await executor().run(chain(spec, debug=True), {"a": 1}, "json")
    (unit,) = msgspec.to_builtins(result.state)
    assert set(unit) == {
        "taskID", "taskHandler", "inputType", "outputType", "transition",
        "duration", "error", "input", "output", "inputVar",
    }  # fmt: skip
    assert unit["taskID"] == "t1"
    assert unit["taskHandler"] == "noop"
    assert (unit["inputType"], unit["outputType"]) == ("json", "json")
    assert unit["transition"] == "noop"
    assert unit["error"] == {"error": ""}
    assert (unit["input"], unit["output"]) == ("map[a:1]", '{"a":1}')
    assert unit["inputVar"] == "input"
    assert isinstance(unit["duration"], float)


async def test_captured_state_leaves_input_and_output_empty_without_debug() -> None:
    result = await executor().run(chain(task("t1", "noop")), "x", "string")
    assert (result.state[0].input, result.state[0].output, result.state[0].input_var) == (
        "",
        "",
        "t1",
    )


async def test_print_renders_after_success_without_changing_the_result() -> None:
    printed: list[str] = []
    spec = task("task1", "noop", print="Output: {{.task1}}")
    result = await executor(on_print=printed.append).run(chain(spec), "hi", "string")
    assert printed == ["Output: hi"]
    assert result.output == "hi"


async def test_input_var_feeds_an_earlier_output_and_templates_see_every_task() -> None:
    first = task("task1", "noop", prompt_template="one", transition=goto("task2"))
    second = task("task2", "noop", prompt_template="two", transition=goto("task3"))
    third = task("task3", "noop", input_var="task1", transition=goto("task4"))
    fourth = task("task4", "noop", prompt_template="{{.previous_output}}+{{.task2}}+{{.input}}")
    result = await executor().run(chain(first, second, third, fourth), "in", "string")
    assert result.output == "one+two+in"
    assert result.state[2].input_var == "task1"


async def test_unknown_input_var_fails_the_chain() -> None:
    with pytest.raises(ChainError, match='task t1: input variable "nope" not found'):
        await executor().run(chain(task("t1", "noop", input_var="nope")), "x", "string")


async def test_template_render_error_fails_naming_the_task() -> None:
    spec = task("t1", "noop", prompt_template="{{index .input 5}}")
    with pytest.raises(ChainError, match="task t1: template error"):
        await executor().run(chain(spec), [1], "json")


async def test_task_without_matching_branch_fails() -> None:
    spec = task("t1", "noop", transition={"branches": [{"operator": "equals", "when": "x"}]})
    with pytest.raises(ChainError, match="task t1: transition error: no matching transition"):
        await executor().run(chain(spec), "x", "string")


async def test_invalid_chain_is_rejected_before_running() -> None:
    with pytest.raises(errors.BadRequestError, match="chain has no tasks"):
        await executor().run(decode_chain({"id": "x", "tasks": []}), "x", "string")


@pytest.mark.parametrize(
    ("given", "input_type", "expected"),
    [
        ("hi", "string", "hi"),
        ({"value": "inner"}, "string", "inner"),
        ({"a": 1}, "STRING", '{"a":1}'),
        (42, "string", "42"),
        (True, "string", "true"),
        (True, "bool", True),
        ("false", "bool", False),
        (2, "bool", True),
        (0.0, "bool", False),
        (3.9, "int", 3),
        ("12", "int", 12),
        ("twelve", "int", 0),
        (None, "int", 0),
        (2, "float", 2.0),
        ("2.5", "float", 2.5),
        ("x", "float", 0.0),
        ({"keep": [1, 2]}, "json", {"keep": [1, 2]}),
        ([1, 2], "any", [1, 2]),
        ([0.5, 1.5], "vector", [0.5, 1.5]),
        (None, "nil", None),
    ],
)
async def test_input_is_converted_by_input_type(given: Any, input_type: str, expected: Any) -> None:
    result = await executor().run(chain(task("t1", "noop")), given, input_type)
    assert result.output == expected
    assert type(result.output) is type(expected)
    assert result.output_type == input_type.lower()


async def test_structured_input_types_become_chat_values() -> None:
    run = executor().run
    history = await run(chain(task("t1", "noop")), {"messages": [{"role": "user"}]}, "chat_history")
    assert history.output == ChatHistory(messages=[Message(role="user")])
    request = await run(
        chain(task("t1", "noop")), {"model": "m", "messages": [], "extra": 1}, "openai_chat"
    )
    assert request.output == OpenAIChatRequest(model="m")
    response = {"id": "i", "created": 1, "model": "m", "choices": []}
    converted = await run(chain(task("t1", "noop")), response, "openai_chat_response")
    assert converted.output.id == "i"
    results = [{"id": "d1", "type": "doc", "distance": 0.5}]
    found = await run(chain(task("t1", "noop")), results, "search_results")
    assert found.output == [SearchResult(id="d1", type="doc", distance=0.5)]


@pytest.mark.parametrize("input_type", ["", "texty"])
async def test_unknown_input_type_is_a_bad_request(input_type: str) -> None:
    with pytest.raises(errors.BadRequestError, match=f"unknown data type: {input_type}$"):
        await executor().run(chain(task("t1", "noop")), "x", input_type)


async def test_malformed_chat_history_input_is_a_bad_request() -> None:
    with pytest.raises(errors.BadRequestError, match="failed to convert to ChatHistory"):
        await executor().run(chain(task("t1", "noop")), {"messages": 3}, "chat_history")


class FailingLlm(ScriptedLlm):
    """Every prompt fails with `error`."""

    def __init__(self, error: errors.Error) -> None:
        super().__init__()
        self.error = error

    async def prompt(self, call: Any) -> str:
        self.prompt_calls.append(call)
        raise self.error


async def test_an_invalid_input_is_not_retried() -> None:
    llm = FailingLlm(errors.InvalidInputError("the prompt is unusable"))
    spec = task("t1", "raw_string", prompt_template="{{.input}}", retry_on_failure=3)
    with pytest.raises(ChainError) as info:
        await executor(llm).run(chain(spec), "q", "string")
    assert len(llm.prompt_calls) == 1
    assert info.value.status == 500  # a chain failure, not the input's 422


async def test_a_retryable_failure_is_retried_and_answered_as_its_cause() -> None:
    llm = FailingLlm(errors.UnavailableError("no backend right now"))
    spec = task("t1", "raw_string", prompt_template="{{.input}}", retry_on_failure=2)
    with pytest.raises(ChainError) as info:
        await executor(llm).run(chain(spec), "q", "string")
    assert len(llm.prompt_calls) == 3
    assert (info.value.status, info.value.retryable) == (503, True)
