"""Small builders for chains in tests."""

from __future__ import annotations

from typing import Any

from runtime.taskengine.schema import ChainDefinition, decode_chain

TO_END = {"branches": [{"operator": "default", "goto": "end"}]}


def task(task_id: str, handler: str, **fields: Any) -> dict[str, Any]:
    return {"id": task_id, "handler": handler, "transition": TO_END, **fields}


def chain(*tasks: dict[str, Any], **fields: Any) -> ChainDefinition:
    return decode_chain({"id": "test-chain", "tasks": list(tasks), **fields})


def goto(target: str, *branches: dict[str, str]) -> dict[str, Any]:
    return {"branches": [*branches, {"operator": "default", "goto": target}]}
