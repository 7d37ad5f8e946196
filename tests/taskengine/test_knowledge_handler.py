"""`search_knowledge`: the query from the input, numbered sources handed to the next step."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.taskengine.executor import Executor
from runtime.taskengine.ports import Source
from runtime.taskengine.types import ChainError
from tests.taskengine.helpers import chain, task
from tests.taskengine.ports import FakeKnowledge, FakeTools, ScriptedLlm

FEES = Source(index=1, file_id="f", path="/fees.txt", chunk_id="7", text="Twelve coins.", score=1)


async def retrieve(spec: dict[str, Any], value: Any, input_type: str, kb: Any) -> tuple[Any, str]:
    result = await Executor(ScriptedLlm(), FakeTools(), knowledge=kb).run(
        chain(spec), value, input_type
    )
    return result.output, result.state[-1].transition


async def test_a_chat_gets_a_system_message_with_numbered_sources() -> None:
    kb = FakeKnowledge([FEES])
    spec = task("r", "search_knowledge", search={"topk": 3, "path": "/docs", "filters": ["a:b"]})
    history = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "fees?"},
        ]
    }
    output, label = await retrieve(spec, history, "chat_history", kb)
    assert label == "found"
    assert [m.role for m in output.messages] == ["system", "system", "user"]
    assert "[1] /fees.txt\nTwelve coins." in output.messages[1].content
    query = kb.queries[0]
    assert (query.query, query.topk, query.path, query.filters) == ("fees?", 3, "/docs", ["a:b"])


async def test_a_text_input_becomes_a_prompt_with_sources_and_question() -> None:
    output, label = await retrieve(
        task("r", "search_knowledge"), "fees?", "string", FakeKnowledge([FEES])
    )
    assert output.endswith("Question: fees?")
    assert "[1] /fees.txt" in output
    assert label == "found"


async def test_nothing_found_is_said_and_labelled_none() -> None:
    output, label = await retrieve(task("r", "search_knowledge"), "x", "string", FakeKnowledge())
    assert label == "none"
    assert "do not know" in output


async def test_without_a_knowledge_base_the_task_fails() -> None:
    with pytest.raises(ChainError, match="no knowledge base"):
        await retrieve(task("r", "search_knowledge"), "x", "string", None)
