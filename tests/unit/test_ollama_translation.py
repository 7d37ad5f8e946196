"""Ollama requests as OpenAI ones and OpenAI answers as Ollama lines, without any server."""

from __future__ import annotations

import json

import msgspec
import pytest

from runtime import errors
from runtime.wire import ollama as ow
from runtime.wire import ollama_answers as answers
from runtime.wire.ollama_requests import chat_request, generate_request
from runtime.wire.openai import (
    ChatMessage,
    ChatRequest,
    Chunk,
    ChunkChoice,
    Delta,
    DeltaFunction,
    DeltaToolCall,
    Usage,
)


def _chat(**fields: object) -> ow.OllamaChatRequest:
    return msgspec.convert({"model": "m"} | fields, ow.OllamaChatRequest)


def test_tool_answers_point_to_the_calls_they_answer_by_name_or_in_order() -> None:
    calls = [
        {"function": {"name": "a", "arguments": {"x": 1}}},
        {"function": {"name": "b", "arguments": {}}},
    ]
    request = _chat(
        messages=[
            {"role": "user", "content": "go"},
            {"role": "assistant", "tool_calls": calls},
            {"role": "tool", "content": "from b", "tool_name": "b"},
            {"role": "tool", "content": "from a"},
        ]
    )
    chat = chat_request(request)
    assistant, to_b, to_a = chat.messages[1:]
    assert assistant.content is None
    ids = {call.function.name: call.id for call in assistant.tool_calls or []}
    assert (to_b.tool_call_id, to_a.tool_call_id) == (ids["b"], ids["a"])
    assert json.loads((assistant.tool_calls or [])[0].function.arguments) == {"x": 1}


def test_options_are_sampling_fields_and_no_limit_is_none() -> None:
    options = {"temperature": 0.5, "num_predict": -1, "stop": "END", "num_ctx": 4096}
    chat = chat_request(_chat(messages=[{"role": "user", "content": "x"}], options=options))
    assert (chat.temperature, chat.max_tokens, chat.stop) == (0.5, None, ["END"])
    assert chat.stream
    assert chat.wants_usage  # the closing line's counts come from the backend's usage


def test_generate_is_a_system_and_user_chat_and_refuses_a_suffix() -> None:
    request = msgspec.convert(
        {"model": "m", "prompt": "p", "system": "s", "stream": False}, ow.GenerateRequest
    )
    chat = generate_request(request)
    assert [(m.role, m.content) for m in chat.messages] == [("system", "s"), ("user", "p")]
    assert not chat.stream
    with pytest.raises(errors.BadRequestError, match="suffix"):
        generate_request(msgspec.structs.replace(request, suffix="end"))


def _request() -> ChatRequest:
    return ChatRequest(model="m", messages=[ChatMessage(role="user", content="hello")])


def _chunk(delta: Delta, finish: str | None = None, usage: Usage | None = None) -> Chunk:
    return Chunk(choices=[ChunkChoice(index=0, delta=delta, finish_reason=finish)], usage=usage)


def test_streamed_tool_call_fragments_go_out_whole_before_the_closing_line() -> None:
    lines = answers.Lines(_request(), answers.Timing(), generate=False)
    first = DeltaToolCall(index=0, id="c1", function=DeltaFunction(name="f", arguments='{"a"'))
    rest = DeltaToolCall(index=0, function=DeltaFunction(arguments=": 2}"))
    out = [
        lines.feed(_chunk(Delta(role="assistant", content="hi"))),
        lines.feed(_chunk(Delta(tool_calls=[first]))),
        lines.feed(_chunk(Delta(tool_calls=[rest]), finish="tool_calls")),
        lines.feed(Chunk(usage=Usage.of(5, 3))),
        lines.close(),
    ]
    assert out[1:4] == [b"", b"", b""]
    decoded = [json.loads(line) for line in b"".join(out).splitlines()]
    assert decoded[0]["message"] == {"role": "assistant", "content": "hi"}
    assert "error" not in decoded[0]
    calls = decoded[1]["message"]["tool_calls"]
    assert calls == [{"function": {"name": "f", "arguments": {"a": 2}}}]
    last = decoded[2]
    assert (last["done"], last["done_reason"]) == (True, "stop")
    assert (last["prompt_eval_count"], last["eval_count"]) == (5, 3)
    assert last["total_duration"] >= last["eval_duration"] >= 0


def test_counts_are_estimated_when_the_backend_sends_no_usage() -> None:
    lines = answers.Lines(_request(), answers.Timing(), generate=True)
    lines.feed(_chunk(Delta(content="12345678"), finish="length"))
    last = json.loads(lines.close())
    assert last["response"] == ""
    assert (last["done_reason"], last["eval_count"]) == ("length", 2)
    assert last["prompt_eval_count"] > 0


def test_tool_call_arguments_that_are_no_object_are_the_backends_fault() -> None:
    with pytest.raises(errors.UpstreamError, match="not a JSON object"):
        answers.arguments("[1, 2]")
    assert answers.arguments("") == {}
